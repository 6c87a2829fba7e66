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
//   - CPU per execution in the load phase, per process: each service (found by the port it
//     listens on, with its child processes, e.g. the spawned actions), the Postgres backends
//     serving this database, and the broker (the whole of RabbitMQ: shared with anything else
//     that uses it, so only meaningful on a quiet machine).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { summarize } from '../lib/measure.mjs';
import { API_OPTIONS, DATABASE_OPTION, platformApi, TERMINAL_STATUSES } from '../lib/platform.mjs';

const { values: opts } = parseArgs({
  options: {
    count: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '16' },
    'low-load-count': { type: 'string', default: '200' },
    ...API_OPTIONS,
    ...DATABASE_OPTION,
    timeout: { type: 'string', default: '600' },
    'executor-port': { type: 'string', default: process.env.ATTUNE_EXECUTOR_PORT ?? '8081' },
    'artifact-store-port': { type: 'string', default: process.env.ATTUNE_ARTIFACT_STORE_PORT ?? '8082' },
    'worker-port': { type: 'string', default: process.env.ATTUNE_WORKER_PORT ?? '8083' },
  },
});
const count = Number(opts.count);
const concurrency = Number(opts.concurrency);
const lowLoadCount = Number(opts['low-load-count']);
const NOOP_COMMAND = ['/bin/sh', ['-c', 'exit 0']]; // what core.noop runs on the worker

const db = new pg.Client({ connectionString: opts.database });
await db.connect();

const api = platformApi(opts.url);
const token = await api.signIn(opts.login, opts.password);

async function submit() {
  const t0 = Date.now();
  const { data } = await api.json('POST', '/api/v1/executions/execute', { action_ref: 'core.noop' }, token);
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
      if (TERMINAL_STATUSES.has(r.status)) {
        done.set(Number(r.id), { status: r.status, recordedAt: r.recorded });
        pending.delete(Number(r.id));
      }
    }
    if (pending.size) await new Promise((r) => setTimeout(r, ids.length === 1 ? 1 : 50));
  }
  return done;
}

const fmt = (n) => `${Math.round(n * 10) / 10}`;

// --- CPU accounting from /proc (Linux): user + system time, in clock ticks of 10 ms.
const TICK_MS = 10;
function procStat(pid) {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
    // Fields after the name: state ppid … utime(14) stime(15) cutime(16) cstime(17), 1-based from pid.
    return { ppid: Number(f[1]), self: Number(f[11]) + Number(f[12]), children: Number(f[13]) + Number(f[14]), comm: raw.slice(raw.indexOf('(') + 1, raw.lastIndexOf(')')) };
  } catch {
    return undefined;
  }
}
function allPids() {
  return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number);
}
/** The pid of the process listening on a TCP port, through the socket's inode. */
function pidListeningOn(port) {
  const inodes = new Set();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try { text = readFileSync(file, 'utf8'); } catch { continue; }
    for (const line of text.trim().split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === '0A' && parseInt(cols[1].split(':').pop(), 16) === Number(port)) inodes.add(cols[9]);
    }
  }
  for (const pid of allPids()) {
    let fds = [];
    try { fds = readdirSync(`/proc/${pid}/fd`); } catch { continue; }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m && inodes.has(m[1])) return pid;
      } catch { /* gone */ }
    }
  }
  return undefined;
}
/** CPU ticks of a process and its descendants (live ones, and those already reaped into cutime). */
function treeTicks(root) {
  const stats = new Map(allPids().map((p) => [p, procStat(p)]).filter(([, s]) => s));
  let ticks = 0;
  const walk = (pid) => {
    const s = stats.get(pid);
    if (!s) return;
    ticks += s.self + s.children;
    for (const [child, cs] of stats) if (cs.ppid === pid) walk(child);
  };
  walk(root);
  return ticks;
}
const apiPort = new URL(opts.url).port || '80';
const servicePids = Object.fromEntries(
  [['api', apiPort], ['executor', opts['executor-port']], ['worker', opts['worker-port']], ['artifact-store', opts['artifact-store-port']]]
    .map(([name, port]) => [name, pidListeningOn(port)])
    .filter(([, pid]) => pid),
);
async function cpuSnapshot() {
  const snap = {};
  for (const [name, pid] of Object.entries(servicePids)) {
    snap[name] = procStat(pid)?.self ?? 0;
    snap[`${name} children`] = treeTicks(pid) - snap[name];
  }
  // Postgres: the backends serving this database (the services' pools stay open through the run).
  const { rows } = await db.query('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
  snap.pg = new Map(rows.map((r) => [r.pid, procStat(r.pid)?.self ?? 0]));
  snap.rabbitmq = allPids().map(procStat).filter((s) => s && s.comm.startsWith('beam')).reduce((sum, s) => sum + s.self, 0);
  return snap;
}
function cpuPerExecution(before, after, n) {
  const out = {};
  for (const key of [...Object.keys(servicePids).flatMap((k) => [k, `${k} children`]), 'rabbitmq']) out[key] = ((after[key] - before[key]) * TICK_MS) / n;
  // Only backends present at both ends are compared.
  let pg = 0;
  for (const [pid, ticks] of after.pg) if (before.pg.has(pid)) pg += ticks - before.pg.get(pid);
  out.postgres = (pg * TICK_MS) / n;
  out.total = Object.values(out).reduce((a, b) => a + b, 0);
  for (const key of Object.keys(out)) if (key.endsWith(' children') && out[key] === 0) delete out[key];
  return out;
}

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
const cpuBefore = await cpuSnapshot();
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
const cpu = cpuPerExecution(cpuBefore, await cpuSnapshot(), count);

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
  CPU per execution (load phase)    ${Object.entries(cpu).map(([k, v]) => `${k} ${Math.round(v * 100) / 100} ms`).join(', ')}
  targets: low-load p50 <= 15 ms (${lowStats.p50 <= 15 ? 'met' : 'not met'}); throughput >= 30% of raw spawn (${throughput / spawnRate >= 0.3 ? 'met' : 'not met'}); CPU per execution <= 8 ms (${cpu.total <= 8 ? 'met' : 'not met'})
`);
if (failed) process.exitCode = 1;
