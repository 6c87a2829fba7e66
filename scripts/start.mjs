#!/usr/bin/env node
// Starts the four services as separate processes with readable, prefixed output.
// `npm start` builds and migrates first. Ctrl-C (or SIGTERM) stops every service gracefully.
// Set ATTUNE_LOG_FORMAT=json to see the raw JSON log lines instead.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prettyFactory } from 'pino-pretty';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const services = [
  { name: 'api', color: 36 },
  { name: 'executor', color: 35 },
  { name: 'worker', color: 33 },
  { name: 'artifact-store', color: 32 },
];
const width = Math.max(...services.map((s) => s.name.length));
const json = process.env.ATTUNE_LOG_FORMAT === 'json';
const tty = process.stdout.isTTY;
const pretty = prettyFactory({ colorize: tty, ignore: 'pid,hostname,service,req,res', singleLine: true, translateTime: 'SYS:HH:MM:ss.l' });
const children = new Map();
let stopping = false;

function prefix(s) {
  const label = s.name.padEnd(width);
  return tty ? `\x1b[${s.color}m${label}\x1b[0m │ ` : `${label} | `;
}

function pipe(stream, s, out) {
  createInterface({ input: stream }).on('line', (line) => {
    let text = line;
    if (!json && line.startsWith('{')) {
      try {
        text = pretty(JSON.parse(line)).trimEnd();
      } catch {
        // not a log line: print as it is
      }
    }
    out.write(prefix(s) + text + '\n');
  });
}

for (const s of services) {
  const main = join(root, 'dist/apps', s.name, 'main.js');
  if (!existsSync(main)) {
    console.error(`${main} is missing: run "npm run build" first (npm start does it for you)`);
    process.exit(1);
  }
}

// The services refuse to start without a chosen environment (so the development defaults never
// apply by omission); `npm start` is for running Attune on one's own machine, so it chooses
// development unless told otherwise, and says so.
const env = { ...process.env };
if (!env.ATTUNE_ENV && !env.NODE_ENV) {
  env.ATTUNE_ENV = 'development';
  console.log(
    'ATTUNE_ENV is not set: running in development (the development JWT secret, the administrator ' +
      'test@attune.local / TestPass123! and open registration). Set ATTUNE_ENV=production for a deployment.',
  );
} else {
  console.log(`Environment: ${env.ATTUNE_ENV || env.NODE_ENV}`);
}

for (const s of services) {
  const child = spawn(process.execPath, ['--enable-source-maps', join(root, 'dist/apps', s.name, 'main.js')], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Own process group: the terminal's Ctrl-C reaches only this script, which then stops each
    // service exactly once with SIGTERM (a second signal would cut a graceful drain short).
    detached: true,
  });
  children.set(s.name, child);
  pipe(child.stdout, s, process.stdout);
  pipe(child.stderr, s, process.stderr);
  child.on('exit', (code, signal) => {
    children.delete(s.name);
    process.stdout.write(`${prefix(s)}exited (${signal ?? `code ${code}`})\n`);
    if (!stopping) {
      // One service dying takes the others down, so nothing runs half-started.
      process.exitCode = code || 1;
      stop();
    } else if (children.size === 0) {
      process.exit();
    }
  });
}

function stop() {
  if (stopping) return;
  stopping = true;
  for (const child of children.values()) child.kill('SIGTERM');
  setTimeout(() => {
    for (const child of children.values()) child.kill('SIGKILL');
    process.exit(process.exitCode ?? 1);
  }, 35_000).unref();
  if (children.size === 0) process.exit();
}

process.on('SIGINT', stop);
process.on('SIGTERM', stop);
console.log(`Attune is starting: API on http://localhost:${process.env.ATTUNE_API_PORT ?? 8080} (Ctrl-C stops everything)`);
