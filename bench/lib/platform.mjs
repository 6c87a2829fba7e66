// What the benchmarks share to reach the platform: the command-line options that say where it
// is, its HTTP API, and, for the benchmarks that start their own services, ports, migrations and
// health checks.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

/** The repository's root (the services run from its dist/). */
export const ROOT = resolve(new URL('../..', import.meta.url).pathname);

/** parseArgs options of a benchmark that drives a running platform: its API and an admin's sign-in. */
export const API_OPTIONS = {
  url: { type: 'string', default: process.env.ATTUNE_API_URL ?? 'http://127.0.0.1:8080' },
  login: { type: 'string', default: process.env.ATTUNE_ADMIN_LOGIN ?? 'test@attune.local' },
  password: { type: 'string', default: process.env.ATTUNE_ADMIN_PASSWORD ?? 'TestPass123!' },
};

/** parseArgs option of the platform's database. */
export const DATABASE_OPTION = {
  database: { type: 'string', default: process.env.ATTUNE_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/attune' },
};

/** parseArgs option of the message broker, for benchmarks that start services. */
export const AMQP_OPTION = {
  amqp: { type: 'string', default: process.env.ATTUNE_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672' },
};

/** The execution statuses after which nothing more happens to an execution. */
export const TERMINAL_STATUSES = new Set(['completed', 'failed', 'cancelled', 'timeout', 'abandoned']);

/**
 * The HTTP API at `baseUrl`, JSON in and out. An answer of 300 or more throws, naming the request
 * and the server's answer.
 */
export function platformApi(baseUrl) {
  async function request(method, path, body, token) {
    const res = await fetch(new URL(path, baseUrl), {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res;
  }
  /** The answer's JSON ({} for an empty or non-JSON answer). */
  async function json(method, path, body, token) {
    return (await request(method, path, body, token)).json().catch(() => ({}));
  }
  /** An access token for the login. */
  async function signIn(login, password) {
    return (await json('POST', '/auth/login', { login, password })).data.access_token;
  }
  return { request, json, signIn };
}

/** A TCP port free on 127.0.0.1 right now, for a service to listen on. */
export function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

/** Migrates the database in env.ATTUNE_DATABASE_URL with the built migrate.js. */
export async function migrate(env) {
  const child = spawn(process.execPath, [join(ROOT, 'dist/apps/api/migrate.js')], { env, stdio: 'inherit' });
  if ((await new Promise((r) => child.once('exit', r))) !== 0) throw new Error('migrations failed (npm run build first?)');
}

/**
 * Waits (a minute at most) until `url` answers 200: a service started as `child`, named `what`.
 * A child that exits meanwhile fails at once; `whereLogs` says where to look then.
 */
export async function waitHealthy(url, what, child, whereLogs = '') {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}${whereLogs ? `; see ${whereLogs}` : ''}`);
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`${what} not healthy in time`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
