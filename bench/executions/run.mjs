#!/usr/bin/env node
// Execution throughput and latency benchmark.
//
//   npm run bench:executions -- --count 2000 --concurrency 16
//
// Against a running platform (npm start): submits trivial `core.noop` executions over HTTP and
// waits for them all. Completion is read from Postgres (the executor's record of the terminal
// status), so watching does not load the API. Prints:
//   - low load: executions run one at a time; submit -> completed latency p50/p95/p99
//   - load: --count executions from --concurrency parallel submitters; throughput and latency
//   - the machine's raw process-spawn rate (the same /bin/sh command spawned directly by Node
//     with the same concurrency), and the platform's throughput as a share of it.
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import pg from 'pg';

const { values: opts } = parseArgs({
  options: {
    count: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '16' },
    'low-load-count': { type: 'string', default: '200' },
    url: { type: 'string', default: process.env.ATTUNE_API_URL ?? 'http://127.0.0.1:8080' },
    database: { type: 'string', default: process.env.ATTUNE_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/attune' },
    login: { type: 'string', default: process.env.ATTUNE_ADMIN_LOGIN ?? 'test@attune.local' },
    password: { type: 'string', default: process.env.ATTUNE_ADMIN_PASSWORD ?? 'TestPass123!' },
    timeout: { type: 'string', default: '600' },
  },
});
const count = Number(opts.count);
const concurrency = Number(opts.concurrency);
const lowLoadCount = Number(opts['low-load-count']);
const TERMINAL = new Set(['completed', 'failed', 'cancelled', 'timeout', 'abandoned']);
const NOOP_COMMAND = ['/bin/sh', ['-c', 'exit 0']]; // what core.noop runs on the worker

const db = new pg.Client({ connectionString: opts.database });
await db.connect();

async function http(method, path, body, token) {
  const res = await fetch(new URL(path, opts.url), {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json().catch(() => ({}));
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

const token = (await http('POST', '/auth/login', { login: opts.login, password: opts.password })).data.access_token;

async function submit() {
  const t0 = Date.now();
  const { data } = await http('POST', '/api/v1/executions/execute', { action_ref: 'core.noop' }, token);
  return { id: data.id, submittedAt: t0, acceptedMs: Date.now() - t0 };
}

/** Waits until every id is terminal; answers id -> {status, recordedAt(ms)}. */
async function waitAll(ids, deadlineMs) {
  const done = new Map();
  const pending = new Set(ids);
  while (pending.size) {
    if (Date.now() > deadlineMs) throw new Error(`${pending.size} executions did not finish in time`);
    const { rows } = await db.query(
      `SELECT id, status, (extract(epoch from updated) * 1000)::float8 AS recorded FROM executions WHERE id = ANY($1::bigint[])`,
      [[...pending]],
    );
    for (const r of rows) {
      if (TERMINAL.has(r.status)) {
        done.set(Number(r.id), { status: r.status, recordedAt: r.recorded });
        pending.delete(Number(r.id));
      }
    }
    if (pending.size) await new Promise((r) => setTimeout(r, ids.length === 1 ? 1 : 50));
  }
  return done;
}

function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function summarize(latencies) {
  const s = [...latencies].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99), max: s[s.length - 1] };
}

const fmt = (n) => `${Math.round(n * 10) / 10}`;

// Warm up: connections, JIT, prepared plans.
for (let i = 0; i < 20; i++) {
  const s = await submit();
  await waitAll([s.id], Date.now() + 30_000);
}

// 1. Low load: one execution at a time.
const low = [];
for (let i = 0; i < lowLoadCount; i++) {
  const s = await submit();
  const r = (await waitAll([s.id], Date.now() + 30_000)).get(s.id);
  low.push(r.recordedAt - s.submittedAt);
}
const lowStats = summarize(low);

// 2. Load: `count` executions from `concurrency` submitters.
const submissions = [];
let next = 0;
const loadStart = Date.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < count) {
      next++;
      submissions.push(await submit());
    }
  }),
);
const submitEnd = Date.now();
const results = await waitAll(submissions.map((s) => s.id), Date.now() + Number(opts.timeout) * 1000);
const lastRecorded = Math.max(...[...results.values()].map((r) => r.recordedAt));
const loadSeconds = (lastRecorded - loadStart) / 1000;
const throughput = count / loadSeconds;
const loadLatency = summarize(submissions.map((s) => results.get(s.id).recordedAt - s.submittedAt));
const accept = summarize(submissions.map((s) => s.acceptedMs));
const failed = [...results.values()].filter((r) => r.status !== 'completed').length;

// 3. Raw spawn rate with the same concurrency.
function spawnOnce() {
  return new Promise((resolve, reject) => {
    const child = spawn(NOOP_COMMAND[0], NOOP_COMMAND[1], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    child.stdin.on('error', () => undefined); // EPIPE when the shell exits before reading
    child.stdin.end('{}');
    child.on('error', reject);
    child.on('close', resolve);
  });
}
let spawned = 0;
const spawnStart = process.hrtime.bigint();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (spawned < count) {
      spawned++;
      await spawnOnce();
    }
  }),
);
const spawnSeconds = Number(process.hrtime.bigint() - spawnStart) / 1e9;
const spawnRate = count / spawnSeconds;
await db.end();

console.log(`
Attune execution benchmark (core.noop)
  low load (${lowLoadCount} sequential)   submit->completed  p50 ${fmt(lowStats.p50)} ms  p95 ${fmt(lowStats.p95)} ms  p99 ${fmt(lowStats.p99)} ms  max ${fmt(lowStats.max)} ms
  load (${count}, concurrency ${concurrency})
    throughput                      ${fmt(throughput)} executions/s  (${fmt(loadSeconds)} s; submitting took ${fmt((submitEnd - loadStart) / 1000)} s)
    submit->completed               p50 ${fmt(loadLatency.p50)} ms  p95 ${fmt(loadLatency.p95)} ms  p99 ${fmt(loadLatency.p99)} ms  max ${fmt(loadLatency.max)} ms
    POST /executions/execute        p50 ${fmt(accept.p50)} ms  p95 ${fmt(accept.p95)} ms  p99 ${fmt(accept.p99)} ms
    not completed                   ${failed}
  raw spawn (${count}, concurrency ${concurrency})  ${fmt(spawnRate)} processes/s
  throughput / raw spawn rate       ${fmt((throughput / spawnRate) * 100)} %
  targets: low-load p50 <= 40 ms (${lowStats.p50 <= 40 ? 'met' : 'not met'}); throughput >= 30% of raw spawn (${throughput / spawnRate >= 0.3 ? 'met' : 'not met'})
`);
if (failed) process.exitCode = 1;
