import type { S3Client } from '@aws-sdk/client-s3';
import {
  ApiClient,
  deleteAmqpNamespace,
  Platform,
  prepareTestDatabase,
  type RunningS3rver,
  s3rverClient,
  s3rverStorageEnv,
  startS3rver,
  testAmqpUrl,
  uniqueNamespace,
  waitFor,
} from '@attune/testing';
import { RUNTIMES, runtimeSetKey, workerQueueName } from '@attune/contracts';
import { isTerminal } from '@attune/api-client';
import { afterAll, beforeAll } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';

// Tests run from the repository root (npm test, or jest -c e2e/jest.config.cjs there).
export const ROOT = resolve(process.cwd());

/** The work queue of every runtime set a worker of the default pool may have. */
export const WORKER_QUEUES = Array.from({ length: 2 ** RUNTIMES.length - 1 }, (_, i) =>
  workerQueueName('default', runtimeSetKey(RUNTIMES.filter((_r, bit) => (i + 1) & (1 << bit)))),
);

export interface E2eContext {
  platform: Platform;
  api: ApiClient;
  namespace: string;
  /** The platform's database, for tests that look behind the API (where a blob is stored). */
  databaseUrl: string;
}

/** Starts the whole platform for one test file, on its own bus namespace. */
export async function startPlatform(name: string, env: Record<string, string> = {}, opts: { database?: string } = {}): Promise<E2eContext> {
  // `database`: a test database of the suite's own, named `<test database>_<database>`.
  const databaseUrl = await prepareTestDatabase(opts.database);
  const namespace = uniqueNamespace('e2e');
  const platform = await Platform.create({
    root: ROOT,
    databaseUrl,
    amqpUrl: testAmqpUrl(),
    namespace,
    logDir: join(ROOT, 'tmp/e2e', `${name}-${namespace}`),
    env,
  });
  await platform.startAll();
  const api = new ApiClient(platform.apiUrl);
  await api.login();
  return { platform, api, namespace, databaseUrl };
}

export async function stopPlatform(ctx: E2eContext | undefined): Promise<void> {
  if (!ctx?.platform) return;
  await ctx.platform.stopAll();
  await deleteAmqpNamespace(testAmqpUrl(), ctx.namespace, ['executor', 'worker.default', ...WORKER_QUEUES, 'artifact-store', 'artifact-store.logs']);
}

/**
 * A lost worker found within seconds (a beat a second, lost after 10 s of silence, swept every
 * second), for suites that kill workers; the defaults (5 s beats, lost after 15 s) take 30 s.
 * Not shorter: a worker storing twenty 20 MB logs on a loaded machine was once silent for 4 s.
 */
export const QUICK_WORKER_LOSS_ENV: Readonly<Record<string, string>> = {
  ATTUNE_WORKER_HEARTBEAT_MS: '1000',
  ATTUNE_EXECUTOR_WORKER_LOST_AFTER_MS: '10000',
  ATTUNE_EXECUTOR_SWEEP_INTERVAL_MS: '1000',
};

export interface PlatformOptions {
  /** A test database of the suite's own, named `<test database>_<database>`. */
  database?: string;
  /** How long starting may take, when more than the suite's test timeout. */
  startTimeoutMs?: number;
  /** The file's cleanup that needs the platform still running (deleting what would outlive the run). */
  beforeStop?: () => Promise<unknown>;
}

/** The services' extra environment, or a function answering it when they start (for values the file's own setup makes first). */
export type PlatformEnv = Record<string, string> | (() => Record<string, string>);

/**
 * Starts the whole platform before this file's tests and stops it after them. The context answered
 * is filled in once the platform is up: read it in hooks and tests, not when the file loads. Jest
 * runs hooks in the order they are declared, so a file's own setup that needs the platform is a
 * `beforeAll` after this call, setup the platform needs a `beforeAll` before it, and cleanup an
 * `afterAll` after it (or `beforeStop`, when it needs the platform).
 */
export function usePlatform(name: string, env: PlatformEnv = {}, opts: PlatformOptions = {}): E2eContext {
  const ctx = {} as E2eContext;
  beforeAll(async () => void Object.assign(ctx, await startPlatform(name, typeof env === 'function' ? env() : env, opts)), opts.startTimeoutMs);
  afterAll(async () => {
    try {
      if (ctx.platform) await opts.beforeStop?.();
    } finally {
      await stopPlatform(ctx);
    }
  });
  return ctx;
}

export interface E2eS3Context extends E2eContext {
  /** The s3rver the services store blobs in, with its bucket. */
  s3: RunningS3rver;
  /** A client of that s3rver, to look at or tamper with the bucket behind the services' back. */
  raw: S3Client;
}

/**
 * The platform of `usePlatform` on the S3 storage driver, against an s3rver of its own holding
 * `bucket`; the s3rver starts before the platform and stops after it.
 */
export function usePlatformOnS3rver(name: string, bucket: string, env: Record<string, string> = {}, opts: PlatformOptions = {}): E2eS3Context {
  const ctx = {} as E2eS3Context;
  beforeAll(async () => {
    ctx.s3 = await startS3rver({ bucket });
    ctx.raw = s3rverClient(ctx.s3);
    Object.assign(ctx, await startPlatform(name, { ...(await s3rverStorageEnv(ctx.s3, ctx.raw)), ...env }, opts));
  }, opts.startTimeoutMs);
  afterAll(async () => {
    await stopPlatform(ctx);
    ctx.raw?.destroy();
    await ctx.s3?.stop();
  });
  return ctx;
}

/** What a test asks of the platform's database: plain queries. */
export type DatabaseQueries = Pick<pg.Client, 'query'>;

/**
 * A connection to the platform's database while this file's tests run, for tests that look behind
 * the API (what a row holds, where a blob is stored). Call it after `usePlatform`: it connects once
 * the platform is up.
 */
export function usePlatformDatabase(ctx: E2eContext): DatabaseQueries {
  let client: pg.Client | undefined;
  beforeAll(async () => {
    client = new pg.Client({ connectionString: ctx.databaseUrl });
    await client.connect();
  });
  afterAll(() => client?.end());
  const connected = () => {
    if (!client) throw new Error('the platform database is not connected: query it from hooks and tests only');
    return client;
  };
  // pg's query() has many overloads; the call is passed on as it came.
  return { query: ((...args: unknown[]) => Reflect.apply(connected().query, connected(), args)) as pg.Client['query'] };
}

/** Polls an execution until it is terminal and answers it. */
// The answer is left untyped (`any`): the tests read a terminal execution's result without null checks.
export async function waitForTerminal(api: ApiClient, id: number, timeoutMs = 15_000): Promise<any> {
  return waitFor(
    async () => {
      const res = await api.get(`/api/v1/executions/${id}`);
      return res.body?.data && isTerminal(res.body.data.status) ? res.body.data : undefined;
    },
    { timeoutMs, intervalMs: 20, what: `execution ${id} to finish` },
  );
}

export async function execute(api: ApiClient, action_ref: string, parameters?: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const res = await api.post('/api/v1/executions/execute', { action_ref, parameters, ...extra });
  if (res.status !== 201) throw new Error(`execute ${action_ref} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.data;
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `fn` with the built CLI (dist/apps/cli/main.js) signed in as the development admin in a
 * configuration directory of its own, removed afterwards.
 */
export async function withCli<T>(ctx: E2eContext, fn: (cli: (args: string[]) => Promise<CliRun>) => Promise<T>): Promise<T> {
  const home = mkdtempSync(join(tmpdir(), 'attune-cli-'));
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, ATTUNE_CONFIG_DIR: home, ATTUNE_PASSWORD: 'TestPass123!' };
  const cli = (args: string[]) =>
    new Promise<CliRun>((done) => {
      const child = spawn(process.execPath, [join(ROOT, 'dist/apps/cli/main.js'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
      child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
      child.on('close', (code) => done({ code, stdout, stderr }));
    });
  try {
    const login = await cli(['login', '--url', ctx.platform.apiUrl, '--username', 'test@attune.local']);
    if (login.code !== 0) throw new Error(`attune login failed (${login.code}): ${login.stderr}`);
    return await fn(cli);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

export interface TestUser {
  client: ApiClient;
  login: string;
  id: number;
}

/** Registers a new account (a viewer) and signs it in; the admin grants `role` when given. */
export async function registerUser(ctx: E2eContext, login: string, role?: string): Promise<TestUser> {
  const client = new ApiClient(ctx.platform.apiUrl);
  const res = await client.post('/auth/register', { login, password: 'correct horse 1', display_name: login });
  if (res.status !== 200) throw new Error(`register ${login} answered ${res.status}: ${JSON.stringify(res.body)}`);
  client.token = res.body.data.access_token;
  const id = res.body.data.user.id as number;
  if (role) {
    const granted = await ctx.api.request('PUT', `/api/v1/users/${id}`, { roles: [role] });
    if (granted.status !== 200) throw new Error(`granting ${role} to ${login} answered ${granted.status}`);
  }
  return { client, login, id };
}

/**
 * Runs core.local with a script that requests each API path with the execution's own token, and
 * answers the HTTP statuses in order, space-separated, as the action printed them. A path may use
 * the shell: `$ATTUNE_EXEC_ID` is the running execution's id.
 */
export async function statusesWithExecutionToken(api: ApiClient, paths: string[]): Promise<string> {
  const requests = paths.map((path, i) => `s${i}=$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $ATTUNE_API_TOKEN" "$ATTUNE_API_URL${path}")`);
  const cmd = [...requests, `echo "${paths.map((_, i) => `$s${i}`).join(' ')}"`].join('; ');
  const done = await waitForTerminal(api, (await execute(api, 'core.local', { cmd })).id);
  return done.result.stdout;
}

/**
 * Load for the outage drills: `total` calls of `submit` from `parallel` loops at once, as busy clients
 * make them. `faults[n]`, when given, runs (awaited) just before the nth call starts: the fault to
 * inject at that point of the load.
 */
export async function submitUnderLoad(total: number, parallel: number, submit: () => Promise<void>, faults: Record<number, () => unknown> = {}): Promise<void> {
  let started = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (started < total) {
        const n = ++started;
        await faults[n]?.();
        await submit();
      }
    }),
  );
}

/** Deletes rules a suite made, so that none (a timer's above all) fires in a later run on the same database. */
export async function deleteRules(ctx: E2eContext, refs: string[]): Promise<void> {
  for (const ref of refs) await ctx.api.request('DELETE', `/api/v1/rules/${ref}`);
}
