#!/usr/bin/env node
// List latency at a million runs.
//
//   npm run build && npm run bench:lists                       # seeds once, then measures
//   npm run bench:lists -- --requests 20 --reseed               # drop and seed again
//
// Uses a database of its own (--database, default attune_bench_lists on the local server; its name
// must contain "bench"), migrated with the built migrate.js, and seeds it with --executions
// executions and --events events spread over 30 days (20 action refs, ~85 % completed, ~10 %
// failed, ~1 % timeout; 10 trigger refs), then VACUUM ANALYZE. Starts the built api alone
// against it (the lists read Postgres only), signs in, and for each query sends 2 warm-up
// requests and then --requests timed ones, one at a time, printing p50/p95/max and the answer's
// total (and whether it is estimated). The first query, one execution by id, is the floor: what
// any authenticated request costs on the machine at that moment. The seeded database is kept for
// the next run.
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { percentile } from '../lib/measure.mjs';
import { AMQP_OPTION, freePort, migrate, platformApi, ROOT, waitHealthy } from '../lib/platform.mjs';

const { values: opts } = parseArgs({
  options: {
    database: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/attune_bench_lists' },
    ...AMQP_OPTION,
    executions: { type: 'string', default: '1000000' },
    events: { type: 'string', default: '1000000' },
    requests: { type: 'string', default: '20' },
    reseed: { type: 'boolean', default: false },
  },
});
const N_EXEC = Number(opts.executions);
const N_EVENTS = Number(opts.events);
const REQUESTS = Number(opts.requests);
const dbName = new URL(opts.database).pathname.slice(1);
if (!/^[a-z0-9_]*bench[a-z0-9_]*$/.test(dbName)) throw new Error(`--database must name a database containing "bench" (got "${dbName}")`);
const log = (...a) => console.log(...a);
let api;

async function withClient(url, fn) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function prepareDatabase(env) {
  const admin = new URL(opts.database);
  admin.pathname = '/postgres';
  await withClient(admin.toString(), async (c) => {
    const exists = (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [dbName])).rowCount > 0;
    if (exists && opts.reseed) await c.query(`DROP DATABASE "${dbName}"`);
    if (!exists || opts.reseed) await c.query(`CREATE DATABASE "${dbName}"`);
  });
  await migrate(env);
  await withClient(opts.database, async (c) => {
    const have = Number((await c.query(`SELECT count(*) AS n FROM executions WHERE action_ref LIKE 'core.%' OR action_ref LIKE 'bench.%'`)).rows[0].n);
    if (have >= N_EXEC) {
      log(`database ${dbName} already holds ${have} executions; measuring (--reseed to seed again)`);
      return;
    }
    const started = Date.now();
    const CHUNK = 100_000;
    for (let from = 1; from <= N_EXEC; from += CHUNK) {
      const to = Math.min(N_EXEC, from + CHUNK - 1);
      await c.query(
        `INSERT INTO executions (action_ref, config, status, result, timeout_seconds, started_at, finished_at, created, updated)
         SELECT (ARRAY['core.echo','core.noop','core.sleep','core.local','bench.a1','bench.a2','bench.a3','bench.a4','bench.a5','bench.a6',
                       'bench.a7','bench.a8','bench.a9','bench.a10','bench.a11','bench.a12','bench.a13','bench.a14','bench.a15','bench.a16'])[1 + g % 20],
                jsonb_build_object('message', 'run ' || g),
                CASE WHEN h < 850 THEN 'completed' WHEN h < 950 THEN 'failed' WHEN h < 960 THEN 'timeout'
                     WHEN h < 980 THEN 'cancelled' WHEN h < 990 THEN 'abandoned' ELSE 'running' END,
                jsonb_build_object('exit_code', 0, 'succeeded', h < 850, 'duration_ms', h, 'stdout', 'run ' || g || E'\\n', 'stdout_truncated', false),
                600, t, t + interval '2 seconds', t, t + interval '2 seconds'
           FROM (SELECT g, ((g::bigint * 7919) % 1000)::int AS h, now() - interval '30 days' + g * (interval '30 days' / $3::int) AS t
                   FROM generate_series($1::int, $2::int) g) s`,
        [from, to, N_EXEC],
      );
      log(`  executions ${to} / ${N_EXEC} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    }
    for (let from = 1; from <= N_EVENTS; from += CHUNK) {
      const to = Math.min(N_EVENTS, from + CHUNK - 1);
      await c.query(
        `INSERT INTO events (trigger_ref, payload, source, processed_at, created)
         SELECT CASE WHEN g % 2 = 0 THEN 'core.intervaltimer' ELSE 'bench.webhook' || (g % 9) END,
                jsonb_build_object('n', g), CASE WHEN g % 2 = 0 THEN 'timer' ELSE 'webhook' END, t, t
           FROM (SELECT g, now() - interval '30 days' + g * (interval '30 days' / $3::int) AS t FROM generate_series($1::int, $2::int) g) s`,
        [from, to, N_EVENTS],
      );
      log(`  events ${to} / ${N_EVENTS} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    }
    log('  VACUUM ANALYZE…');
    await c.query('VACUUM ANALYZE executions');
    await c.query('VACUUM ANALYZE events');
    log(`seeded in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  });
}

async function main() {
  const port = await freePort();
  const env = {
    PATH: process.env.PATH,
    ATTUNE_ENV: 'development',
    ATTUNE_LOG_LEVEL: 'warn',
    ATTUNE_DATABASE_URL: opts.database,
    ATTUNE_AMQP_URL: opts.amqp,
    ATTUNE_AMQP_NAMESPACE: `bench${Date.now().toString(36)}`,
    ATTUNE_API_PORT: String(port),
    ATTUNE_WORK_DIR: join(tmpdir(), 'attune-bench-lists'),
    ATTUNE_STORAGE_FS_ROOT: join(tmpdir(), 'attune-bench-lists', 'blobs'),
  };
  await prepareDatabase(env);
  api = spawn(process.execPath, [join(ROOT, 'dist/apps/api/main.js')], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  const base = `http://127.0.0.1:${port}`;
  await waitHealthy(`${base}/health`, 'api', api);
  const token = await platformApi(base).signIn('test@attune.local', 'TestPass123!');
  const get = async (path) => {
    const t0 = performance.now();
    const res = await fetch(base + path, { headers: { authorization: `Bearer ${token}` } });
    const body = await res.json();
    const ms = performance.now() - t0;
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${JSON.stringify(body)}`);
    return { ms, body };
  };
  const deep = (await get('/api/v1/executions?per_page=50&page=199')).body.pagination.next_cursor;
  const queries = [
    // The floor: one execution by primary key (auth, one row, JSON), for what a request costs here.
    '/api/v1/executions/1',
    '/api/v1/executions?per_page=50',
    '/api/v1/executions?per_page=50&status=failed',
    '/api/v1/executions?per_page=50&action_ref=core.sleep',
    '/api/v1/executions?per_page=50&status=timeout&action_ref=core.local',
    '/api/v1/executions?per_page=50&page=200',
    `/api/v1/executions?per_page=50&cursor=${deep}`,
    '/api/v1/executions?per_page=50&status=running&action_ref=bench.a7',
    '/api/v1/events?per_page=50',
    '/api/v1/events?per_page=50&trigger_ref=core.intervaltimer',
    '/api/v1/events?per_page=50&trigger_ref=bench.webhook3&page=100',
    '/api/v1/executions?per_page=50&status=failed&total=exact',
  ];
  log(`\n| query | p50 | p95 | max | total |`);
  log(`|---|---|---|---|---|`);
  for (const q of queries) {
    for (let i = 0; i < 2; i++) await get(q);
    const times = [];
    let last;
    for (let i = 0; i < REQUESTS; i++) {
      last = await get(q);
      times.push(last.ms);
    }
    times.sort((a, b) => a - b);
    const p = last.body.pagination ?? { total: '–' };
    const shown = q.includes('cursor=') ? q.replace(/cursor=[^&]+/, 'cursor=<after page 199>') : q;
    log(
      `| \`${shown.replace('/api/v1', '')}\` | ${percentile(times, 50).toFixed(1)} ms | ${percentile(times, 95).toFixed(1)} ms | ${times[times.length - 1].toFixed(1)} ms | ${p.total}${p.total_estimated ? ' (estimated)' : ''} |`,
    );
  }
}

try {
  await main();
} finally {
  api?.kill('SIGTERM');
}
