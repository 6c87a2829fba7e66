#!/usr/bin/env node
// Log-capture benchmark.
//
//   npm run bench:logs -- --mb 200            # throughput, live-tail latency, peak RSS
//   npm run bench:logs -- --mb 1024 --tail 0  # memory with a 1 GiB log
//
// Against a running platform (npm start). In one run:
// 1. Runs an action printing --mb MiB to stdout and times it from submission until the
//    execution is terminal. Terminal means complete: the log is read in full at that instant
//    and must hash to the result's stdout_log_sha256, or the benchmark fails. Then runs the same
//    command with its output redirected to a file, directly, and prints the ratio of the two.
// 2. Samples the resident memory of the worker and artifact-store (their /metrics) meanwhile
//    and prints the peaks.
// 3. Live tail: an action prints its clock every 200 ms; an SSE follower records when each line
//    arrives. Prints p50/p95 of printed → seen.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { hashStream } from '../lib/measure.mjs';
import { API_OPTIONS, platformApi, TERMINAL_STATUSES } from '../lib/platform.mjs';

const { values: opts } = parseArgs({
  options: {
    mb: { type: 'string', default: '200' },
    tail: { type: 'string', default: '40' },
    ...API_OPTIONS,
    'worker-metrics': { type: 'string', default: 'http://127.0.0.1:8083/metrics' },
    'artifact-store-metrics': { type: 'string', default: 'http://127.0.0.1:8082/metrics' },
  },
});
const bytes = Number(opts.mb) * 1024 * 1024;
const command = `yes 'attune log capture benchmark line 0123456789' | head -c ${bytes}`;
const api = platformApi(opts.url);

async function rss(url) {
  const text = await (await fetch(url)).text();
  const m = /^attune_process_resident_memory_bytes (\d+(?:\.\d+)?(?:e\+\d+)?)$/m.exec(text);
  return m ? Number(m[1]) : NaN;
}

const token = await api.signIn(opts.login, opts.password);

async function waitTerminal(id) {
  for (;;) {
    const { data } = await api.json('GET', `/api/v1/executions/${id}`, undefined, token);
    if (TERMINAL_STATUSES.has(data.status)) return data;
    await new Promise((r) => setTimeout(r, 20));
  }
}

// ---------------------------------------------------------------- 1. throughput and memory
const peaks = { worker: 0, 'artifact-store': 0 };
const before = { worker: await rss(opts['worker-metrics']), 'artifact-store': await rss(opts['artifact-store-metrics']) };
const sample = async () => {
  for (const [name, url] of [['worker', opts['worker-metrics']], ['artifact-store', opts['artifact-store-metrics']]]) {
    try {
      peaks[name] = Math.max(peaks[name], await rss(url));
    } catch {
      // a missed sample
    }
  }
};
const sampler = setInterval(sample, 100);

const t0 = process.hrtime.bigint();
const { data: created } = await api.json('POST', '/api/v1/executions/execute', { action_ref: 'core.local', parameters: { cmd: command } }, token);
const done = await waitTerminal(created.id);
const pipelineSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
clearInterval(sampler);
await sample();

// Read the whole log the instant the status is terminal: it must be complete and match the result.
const res = await fetch(new URL(`/api/v1/executions/${created.id}/logs/stdout`, opts.url), { headers: { authorization: `Bearer ${token}` } });
const { sha256: digest, size: got } = await hashStream(res.body);
const whole = res.headers.get('x-log-complete') === 'true' && got === bytes && digest === done.result.stdout_log_sha256;
if (!whole) {
  console.error(`log not whole at terminal status: complete=${res.headers.get('x-log-complete')} bytes=${got}/${bytes} sha256 ${digest} vs ${done.result.stdout_log_sha256}`);
  process.exitCode = 1;
}

const dir = mkdtempSync(join(tmpdir(), 'attune-bench-'));
const d0 = process.hrtime.bigint();
const direct = spawnSync('/bin/sh', ['-c', `${command} > ${join(dir, 'out')}`]);
const directSeconds = Number(process.hrtime.bigint() - d0) / 1e9;
rmSync(dir, { recursive: true, force: true });
if (direct.status !== 0) throw new Error('direct run failed');

// ---------------------------------------------------------------- 2. live tail latency
const lines = Number(opts.tail);
const latencies = [];
if (lines > 0) {
  const tailCmd = `for i in $(seq 1 ${lines}); do date +%s%N; sleep 0.2; done`;
  const { data: tailExec } = await api.json('POST', '/api/v1/executions/execute', { action_ref: 'core.local', parameters: { cmd: tailCmd } }, token);
  const sse = await fetch(new URL(`/api/v1/executions/${tailExec.id}/logs/stdout/stream`, opts.url), { headers: { authorization: `Bearer ${token}` } });
  const decoder = new TextDecoder();
  let buffer = '';
  let text = '';
  outer: for await (const chunk of sse.body) {
    const now = Date.now() * 1e6;
    buffer += decoder.decode(chunk, { stream: true });
    let sep;
    while ((sep = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, sep);
      buffer = buffer.slice(sep + 2);
      if (block.includes('event: end')) break outer;
      const data = /^data: (.*)$/m.exec(block);
      if (!block.includes('event: log') || !data) continue;
      text += JSON.parse(data[1]);
      let nl;
      while ((nl = text.indexOf('\n')) >= 0) {
        const printed = Number(text.slice(0, nl));
        text = text.slice(nl + 1);
        latencies.push((now - printed) / 1e6);
      }
    }
  }
}
latencies.sort((a, b) => a - b);
const pct = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))].toFixed(0) : 'n/a');

const mib = (b) => (b / 1048576).toFixed(1);
const mbps = (s) => (bytes / 1048576 / s).toFixed(1);
console.log(`
Attune log-capture benchmark (${opts.mb} MiB on stdout, core.local)
  execution status                  ${done.status}; stdout preview ${done.result.stdout.length} chars
  submit -> terminal (log stored)   ${pipelineSeconds.toFixed(2)} s  (${mbps(pipelineSeconds)} MiB/s)
  log read at terminal status       ${whole ? 'whole' : 'NOT WHOLE'} (${got} bytes, sha256 ${whole ? 'matches' : 'differs from'} the result)
  same command > file, directly     ${directSeconds.toFixed(2)} s  (${mbps(directSeconds)} MiB/s)
  stored / direct throughput        ${(directSeconds / pipelineSeconds).toFixed(2)}  (target >= 0.25)
  worker RSS before / peak          ${mib(before.worker)} MiB / ${mib(peaks.worker)} MiB
  artifact-store RSS before / peak  ${mib(before['artifact-store'])} MiB / ${mib(peaks['artifact-store'])} MiB
  live tail, printed -> SSE client  p50 ${pct(50)} ms, p95 ${pct(95)} ms, max ${pct(100)} ms (${latencies.length} lines, target p50 <= 300 ms)
`);
