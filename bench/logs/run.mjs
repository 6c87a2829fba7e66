#!/usr/bin/env node
// Log-capture benchmark.
//
//   npm run bench:logs -- --mb 200
//
// Against a running platform (npm start): runs an action printing --mb MiB to stdout and times
// it from submission until its full log is stored (the log endpoint reports X-Log-Complete),
// then runs the same command with its output redirected to a file, directly, for comparison.
// While the action runs it samples the worker's resident memory from its /metrics endpoint and
// prints the peak.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({
  options: {
    mb: { type: 'string', default: '200' },
    url: { type: 'string', default: process.env.ATTUNE_API_URL ?? 'http://127.0.0.1:8080' },
    'worker-metrics': { type: 'string', default: 'http://127.0.0.1:8083/metrics' },
    login: { type: 'string', default: process.env.ATTUNE_ADMIN_LOGIN ?? 'test@attune.local' },
    password: { type: 'string', default: process.env.ATTUNE_ADMIN_PASSWORD ?? 'TestPass123!' },
  },
});
const bytes = Number(opts.mb) * 1024 * 1024;
const command = `yes 'attune log capture benchmark line 0123456789' | head -c ${bytes}`;

async function http(method, path, body, token) {
  const res = await fetch(new URL(path, opts.url), {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res;
}

async function workerRss() {
  const text = await (await fetch(opts['worker-metrics'])).text();
  const m = /^attune_process_resident_memory_bytes (\d+(?:\.\d+)?(?:e\+\d+)?)$/m.exec(text);
  return m ? Number(m[1]) : NaN;
}

const token = (await (await http('POST', '/auth/login', { login: opts.login, password: opts.password })).json()).data.access_token;
const rssBefore = await workerRss();
let peak = rssBefore;
const sampler = setInterval(async () => {
  try {
    peak = Math.max(peak, await workerRss());
  } catch {
    // a missed sample
  }
}, 100);

const t0 = process.hrtime.bigint();
const { data: created } = await (await http('POST', '/api/v1/executions/execute', { action_ref: 'core.local', parameters: { cmd: command } }, token)).json();
let finishedAt;
let result;
for (;;) {
  const { data } = await (await http('GET', `/api/v1/executions/${created.id}`, undefined, token)).json();
  if (['completed', 'failed', 'timeout', 'cancelled', 'abandoned'].includes(data.status)) {
    finishedAt ??= process.hrtime.bigint();
    result = data.result;
    const head = await fetch(new URL(`/api/v1/executions/${created.id}/logs/stdout`, opts.url), {
      headers: { authorization: `Bearer ${token}`, range: 'bytes=0-0' },
    });
    await head.arrayBuffer();
    if (head.headers.get('x-log-complete') === 'true') break;
  }
  await new Promise((r) => setTimeout(r, 50));
}
const pipelineSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
const runSeconds = Number(finishedAt - t0) / 1e9;
clearInterval(sampler);
peak = Math.max(peak, await workerRss());

const dir = mkdtempSync(join(tmpdir(), 'attune-bench-'));
const d0 = process.hrtime.bigint();
const direct = spawnSync('/bin/sh', ['-c', `${command} > ${join(dir, 'out')}`]);
const directSeconds = Number(process.hrtime.bigint() - d0) / 1e9;
rmSync(dir, { recursive: true, force: true });
if (direct.status !== 0) throw new Error('direct run failed');

const mbps = (s) => (bytes / 1024 / 1024 / s).toFixed(1);
console.log(`
Attune log-capture benchmark (${opts.mb} MiB on stdout, core.local)
  execution status                  ${result.succeeded ? 'completed' : 'failed'}; stdout preview ${result.stdout.length} chars, truncated=${result.stdout_truncated}
  submit -> completed               ${runSeconds.toFixed(2)} s
  submit -> full log stored         ${pipelineSeconds.toFixed(2)} s  (${mbps(pipelineSeconds)} MiB/s)
  same command > file, directly     ${directSeconds.toFixed(2)} s  (${mbps(directSeconds)} MiB/s)
  pipeline / direct throughput      ${((directSeconds / pipelineSeconds) * 100).toFixed(1)} %
  worker RSS before / peak          ${(rssBefore / 1048576).toFixed(1)} MiB / ${(peak / 1048576).toFixed(1)} MiB
`);
