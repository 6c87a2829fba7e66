#!/usr/bin/env node
// Workflow fan-out against direct submission, in one run.
//
//   npm run bench:workflows -- --items 1000 --concurrency 16
//
// Against a running platform (npm start). Two rounds, alternating, --rounds times each:
//   - direct: --items `core.noop` executions submitted over HTTP by --concurrency submitters,
//     each submitter waiting for its execution to end before it submits the next one (so at
//     most --concurrency run at once);
//   - workflow: one run of a workflow whose single task is `core.noop` with_items over --items
//     items and `concurrency: --concurrency` (the engine keeps at most that many running).
// Completion is read from Postgres, so watching does not load the api. Prints the rate of
// each round (executions per second, from submission to the last terminal status), their
// medians, and the workflow's rate as a share of the direct one (the target: >= 0.8).
import { parseArgs } from 'node:util';
import pg from 'pg';
import { median } from '../lib/measure.mjs';
import { API_OPTIONS, DATABASE_OPTION, platformApi, TERMINAL_STATUSES } from '../lib/platform.mjs';

const { values: opts } = parseArgs({
  options: {
    items: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '1' },
    ...API_OPTIONS,
    ...DATABASE_OPTION,
    timeout: { type: 'string', default: '900' },
  },
});
const items = Number(opts.items);
const concurrency = Number(opts.concurrency);
const rounds = Number(opts.rounds);

// A pool: the direct round's submitters poll at the same time.
const db = new pg.Pool({ connectionString: opts.database, max: 20 });

const api = platformApi(opts.url);
const token = await api.signIn(opts.login, opts.password);
const deadline = () => Date.now() + Number(opts.timeout) * 1000;

async function statusOf(id) {
  const { rows } = await db.query(`SELECT status FROM executions WHERE id = $1`, [id]);
  return rows[0]?.status;
}

async function waitTerminal(id, until) {
  for (;;) {
    const status = await statusOf(id);
    if (TERMINAL_STATUSES.has(status)) return status;
    if (Date.now() > until) throw new Error(`execution ${id} did not finish in time`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function direct() {
  const started = Date.now();
  const until = deadline();
  let next = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items) {
        next++;
        const { data } = await api.json('POST', '/api/v1/executions/execute', { action_ref: 'core.noop' }, token);
        if ((await waitTerminal(data.id, until)) !== 'completed') failed++;
      }
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  return { seconds, rate: items / seconds, failed };
}

// The workflow: a pack of the benchmark's own, saved over the API.
const packRef = 'bench_workflows';
await api.json('POST', '/api/v1/packs', { ref: packRef, label: 'Workflow benchmark', version: '1.0.0' }, token).catch(() => undefined);
const ref = `${packRef}.fanout_${items}_${concurrency}`;
await fetch(new URL(`/api/v1/workflows/${ref}`, opts.url), { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
await api.json(
  'POST',
  '/api/v1/workflows',
  {
    ref,
    pack_ref: packRef,
    label: `fan-out of ${items}`,
    version: '1.0.0',
    definition: {
      vars: { items: Array.from({ length: items }, (_, i) => i) },
      tasks: [{ name: 'each', action: 'core.noop', with_items: '{{ vars.items }}', concurrency }],
    },
  },
  token,
);

async function workflow() {
  const started = Date.now();
  const { data } = await api.json('POST', '/api/v1/executions/execute', { action_ref: ref }, token);
  const status = await waitTerminal(data.id, deadline());
  const seconds = (Date.now() - started) / 1000;
  const { rows } = await db.query(`SELECT count(*)::int AS n, count(*) FILTER (WHERE status = 'completed')::int AS ok FROM executions WHERE parent = $1`, [data.id]);
  return { seconds, rate: rows[0].n / seconds, failed: rows[0].n - rows[0].ok, status, children: rows[0].n };
}

const directRates = [];
const workflowRates = [];
console.log(`items=${items} concurrency=${concurrency} rounds=${rounds}`);
for (let r = 1; r <= rounds; r++) {
  const d = await direct();
  directRates.push(d.rate);
  console.log(`round ${r} direct:   ${d.rate.toFixed(1)} executions/s (${d.seconds.toFixed(1)} s, ${d.failed} not completed)`);
  const w = await workflow();
  workflowRates.push(w.rate);
  console.log(
    `round ${r} workflow: ${w.rate.toFixed(1)} executions/s (${w.seconds.toFixed(1)} s, run ${w.status}, ${w.children} children, ${w.failed} not completed)`,
  );
}
const ratio = median(workflowRates) / median(directRates);
console.log(`median direct ${median(directRates).toFixed(1)}/s, workflow ${median(workflowRates).toFixed(1)}/s: workflow/direct = ${ratio.toFixed(2)} (target >= 0.8)`);
await db.end();
