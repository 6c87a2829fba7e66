import { isTerminal } from '@attune/api-client';
// Terminal means complete: a client that waits for the status and then reads the log gets every
// byte, whatever else runs, and a read never breaks. Every log here is read once, the instant its
// execution is terminal, as clients do: nothing waits for the log or retries.
import { waitFor } from '@attune/testing';
import { createHash } from 'node:crypto';
import { execute, QUICK_WORKER_LOSS_ENV, usePlatform, waitForTerminal } from './support';

// The worker's retries of a log it cannot store end after this long: the documented bound here.
const LOG_STORE_TIMEOUT_MS = 20_000;

const ctx = usePlatform('logs-complete', {
  ...QUICK_WORKER_LOSS_ENV,
  ATTUNE_LOG_STORE_TIMEOUT_MS: String(LOG_STORE_TIMEOUT_MS),
  ATTUNE_LIVE_TAILS_PER_USER: '3',
  ATTUNE_LIVE_TAIL_MAX_SECONDS: '2',
});

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

interface Read {
  status: number;
  complete: boolean;
  contentLength: number;
  bytes: number;
  sha256: string;
  body?: Buffer;
}

/** One full read of a log, streamed and hashed; `keep` holds the body too. */
async function readLog(id: number, stream = 'stdout', keep = false): Promise<Read> {
  const res = await fetch(`${ctx.platform.apiUrl}/api/v1/executions/${id}/logs/${stream}`, { headers: { authorization: `Bearer ${ctx.api.token}` } });
  const hash = createHash('sha256');
  const parts: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    bytes += chunk.length;
    if (keep) parts.push(Buffer.from(chunk));
  }
  return {
    status: res.status,
    complete: res.headers.get('x-log-complete') === 'true',
    contentLength: Number(res.headers.get('content-length')),
    bytes,
    sha256: hash.digest('hex'),
    body: keep ? Buffer.concat(parts) : undefined,
  };
}

async function metric(service: 'worker' | 'artifact-store', name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${ctx.platform.ports[service]}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

describe('a log is whole the instant its execution is terminal', () => {
  const cmd20 = 'yes 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV | head -c 20000000';
  const expected20 = sha256(Buffer.alloc(20_000_000, '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV\n'));

  it('20 runs of 20 MB: each log read at the terminal status has the expected SHA-256', async () => {
    const ids = [];
    for (let i = 0; i < 20; i++) ids.push((await execute(ctx.api, 'core.local', { cmd: cmd20 })).id);
    for (const id of ids) {
      const done = await waitForTerminal(ctx.api, id, 120_000);
      const read = await readLog(id);
      expect({ status: done.status, http: read.status, complete: read.complete, bytes: read.bytes, sha256: read.sha256 }).toEqual({
        status: 'completed',
        http: 200,
        complete: true,
        bytes: 20_000_000,
        sha256: expected20,
      });
      expect(done.result).toMatchObject({ stdout_log_bytes: 20_000_000, stdout_log_sha256: expected20 });
    }
  }, 300_000);

  it('a 1 GiB log does not hold back 20 small executions, and memory stays bounded', async () => {
    const gib = 1024 ** 3;
    const big = await execute(ctx.api, 'core.local', { cmd: `yes 'a large log line, 0123456789' | head -c ${gib}` }, { timeout_seconds: 600 });
    // Small runs while the large log is being written, each read at its own terminal status.
    await waitFor(async () => ((await ctx.api.get(`/api/v1/executions/${big.id}`)).body.data.status === 'running' ? true : undefined), {
      timeoutMs: 30_000,
      what: 'the 1 GiB run to start',
    });
    let peakWorker = 0;
    let peakStore = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peakWorker = Math.max(peakWorker, await metric('worker', 'attune_process_resident_memory_bytes'));
        peakStore = Math.max(peakStore, await metric('artifact-store', 'attune_process_resident_memory_bytes'));
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    let bigStillRunning = 0;
    for (let i = 0; i < 20; i++) {
      const text = `small ${i} ${'x'.repeat(i)}\n`;
      const small = await execute(ctx.api, 'core.local', { cmd: `printf '${text.replace('\n', '\\n')}'` });
      const done = await waitForTerminal(ctx.api, small.id, 30_000);
      const read = await readLog(small.id, 'stdout', true);
      expect({ status: done.status, complete: read.complete, body: read.body?.toString() }).toEqual({ status: 'completed', complete: true, body: text });
      const bigNow = (await ctx.api.get(`/api/v1/executions/${big.id}`)).body.data.status;
      if (!isTerminal(bigNow)) bigStillRunning++;
    }
    // The point of the test: most small runs finished while the large log was still in the works.
    expect(bigStillRunning).toBeGreaterThan(10);
    const done = await waitForTerminal(ctx.api, big.id, 600_000);
    sampling = false;
    await sampler;
    expect(done.status).toBe('completed');
    const read = await readLog(big.id);
    expect({ complete: read.complete, bytes: read.bytes, sha256: read.sha256 }).toEqual({ complete: true, bytes: gib, sha256: done.result.stdout_log_sha256 });
    expect(peakWorker).toBeLessThan(300 * 1024 * 1024);
    expect(peakStore).toBeLessThan(300 * 1024 * 1024);
  }, 900_000);

  it('full reads while a 200 MiB log is stored: none breaks, each is whole or a consistent earlier state', async () => {
    const size = 200 * 1024 * 1024;
    const line = 'finalising read test line 0123456789\n';
    const expected = Buffer.alloc(size, line);
    const expectedSha = sha256(expected);
    const e = await execute(ctx.api, 'core.local', { cmd: `yes 'finalising read test line 0123456789' | head -c ${size}` });
    let reads = 0;
    let partial = 0;
    for (;;) {
      const status = (await ctx.api.get(`/api/v1/executions/${e.id}`)).body.data.status;
      const read = await readLog(e.id, 'stdout', true);
      reads++;
      expect(read.status).toBe(200);
      // Never short of its Content-Length: no broken stream.
      expect(read.bytes).toBe(read.contentLength);
      if (read.complete) {
        expect(read.sha256).toBe(expectedSha);
        if (isTerminal(status)) break;
      } else {
        // An earlier state: a prefix of the log, byte for byte.
        partial++;
        expect(read.body!.equals(expected.subarray(0, read.bytes))).toBe(true);
        expect(isTerminal(status)).toBe(false);
      }
    }
    expect(reads).toBeGreaterThan(1);
    expect(partial).toBeGreaterThan(0);
  }, 300_000);
});

describe('when the worker or artifact-store goes away mid-log', () => {
  it('a worker killed mid-output leaves the execution abandoned, its stored part readable and marked incomplete', async () => {
    const e = await execute(ctx.api, 'core.local', { cmd: 'i=0; while true; do i=$((i+1)); echo "line $i"; sleep 0.01; done' }, { timeout_seconds: 300 });
    // Some output has gone live.
    await waitFor(
      async () => {
        const read = await readLog(e.id);
        return read.bytes > 200 ? true : undefined;
      },
      { timeoutMs: 30_000, what: 'live output to be stored' },
    );
    const killedAt = Date.now();
    await ctx.platform.stop('worker', 'SIGKILL');
    try {
      const done = await waitForTerminal(ctx.api, e.id, 30_000);
      // Loss detection (10 s here, 15 s by default) plus a sweep interval, and some slack.
      expect(Date.now() - killedAt).toBeLessThan(Number(QUICK_WORKER_LOSS_ENV.ATTUNE_EXECUTOR_WORKER_LOST_AFTER_MS) + 1000 + 5000);
      expect(done.status).toBe('abandoned');
      expect(done.result).toMatchObject({ stdout_log: `/api/v1/executions/${e.id}/logs/stdout`, stdout_log_incomplete: true });
      const read = await readLog(e.id, 'stdout', true);
      expect(read.status).toBe(200);
      expect(read.complete).toBe(false);
      expect(read.bytes).toBe(read.contentLength);
      const lines = read.body!.toString().split('\n');
      expect(lines.length).toBeGreaterThan(2);
      // A clean prefix: "line 1", "line 2", … with at most the last line cut.
      lines.slice(0, -1).forEach((l, i) => expect(l).toBe(`line ${i + 1}`));
      // The live tail ends at once with the final status, marked incomplete.
      const sse = await fetch(`${ctx.platform.apiUrl}/api/v1/executions/${e.id}/logs/stdout/stream`, { headers: { authorization: `Bearer ${ctx.api.token}` } });
      const text = await sse.text();
      expect(text).toContain('event: end');
      expect(text).toContain('"status":"abandoned"');
      expect(text).toContain('"complete":false');
    } finally {
      await ctx.platform.start('worker');
    }
  }, 120_000);

  it('an artifact-store restart while a log is stored: the worker rides over it and the log is whole at the end', async () => {
    const size = 50 * 1024 * 1024;
    const e = await execute(ctx.api, 'core.local', { cmd: `yes 'restart line' | head -c ${size}; sleep 2` });
    await waitFor(async () => ((await ctx.api.get(`/api/v1/executions/${e.id}`)).body.data.status === 'running' ? true : undefined), {
      timeoutMs: 30_000,
      what: 'the run to start',
    });
    await ctx.platform.stop('artifact-store', 'SIGKILL');
    // Down for a while (the process ends meanwhile, and its first attempts to store the log fail).
    await new Promise((r) => setTimeout(r, 4000));
    await ctx.platform.start('artifact-store');
    const done = await waitForTerminal(ctx.api, e.id, LOG_STORE_TIMEOUT_MS + 30_000);
    expect(done.status).toBe('completed');
    const read = await readLog(e.id);
    expect({ complete: read.complete, bytes: read.bytes, sha256: read.sha256 }).toEqual({
      complete: true,
      bytes: size,
      sha256: sha256(Buffer.alloc(size, 'restart line\n')),
    });
  }, 120_000);

  it('artifact-store down past the bound: the execution still ends, failed, saying which log is incomplete', async () => {
    await ctx.platform.stop('artifact-store', 'SIGKILL');
    try {
      const started = Date.now();
      const e = await execute(ctx.api, 'core.local', { cmd: 'echo kept only in part' });
      const done = await waitForTerminal(ctx.api, e.id, LOG_STORE_TIMEOUT_MS + 20_000);
      expect(Date.now() - started).toBeLessThan(LOG_STORE_TIMEOUT_MS + 15_000);
      expect(done.status).toBe('failed');
      expect(done.result).toMatchObject({ exit_code: 0, stdout_log_incomplete: true, stdout_log_bytes: 18 });
      expect(done.result.error).toMatch(/the stdout log could not be stored/);
      const read = await readLog(e.id);
      expect(read.status).toBe(200);
      expect(read.complete).toBe(false);
    } finally {
      await ctx.platform.start('artifact-store');
    }
  }, 120_000);
});

describe('live tails are bounded', () => {
  const tailUrl = (id: number) => `${ctx.platform.apiUrl}/api/v1/executions/${id}/logs/stdout/stream`;

  it('refuses a user more open tails than the limit (429 with Retry-After), and frees a slot when one closes', async () => {
    const e = await execute(ctx.api, 'core.local', { cmd: 'for i in $(seq 1 40); do echo tick $i; sleep 0.5; done' }, { timeout_seconds: 60 });
    const open: AbortController[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const c = new AbortController();
        const res = await fetch(tailUrl(e.id), { headers: { authorization: `Bearer ${ctx.api.token}` }, signal: c.signal });
        expect(res.status).toBe(200);
        open.push(c);
      }
      const refused = await fetch(tailUrl(e.id), { headers: { authorization: `Bearer ${ctx.api.token}` } });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await refused.json()).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
      open.pop()!.abort();
      const again = await waitFor(
        async () => {
          const res = await fetch(tailUrl(e.id), { headers: { authorization: `Bearer ${ctx.api.token}` }, signal: AbortSignal.timeout(5000) });
          if (res.status === 429) return undefined;
          void res.body?.cancel();
          return res.status;
        },
        { timeoutMs: 10_000, what: 'a slot to free up' },
      );
      expect(again).toBe(200);
    } finally {
      open.forEach((c) => c.abort());
      await ctx.api.post(`/api/v1/executions/${e.id}/cancel`, {});
    }
  }, 60_000);

  it('ends a tail at its maximum duration with `reconnect`; resuming with Last-Event-ID loses and repeats nothing', async () => {
    const e = await execute(ctx.api, 'core.local', { cmd: 'for i in $(seq 1 12); do echo "line $i"; sleep 0.4; done' });
    let text = '';
    let lastId: string | undefined;
    let reconnects = 0;
    let end: { status: string } | undefined;
    while (!end) {
      const res = await fetch(tailUrl(e.id), { headers: { authorization: `Bearer ${ctx.api.token}`, ...(lastId ? { 'last-event-id': lastId } : {}) } });
      expect(res.status).toBe(200);
      const body = await res.text();
      for (const block of body.split('\n\n')) {
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event === 'log') {
          text += JSON.parse(data!) as string;
          lastId = /^id: (.*)$/m.exec(block)?.[1];
        } else if (event === 'reconnect') {
          reconnects++;
          expect(JSON.parse(data!).last_event_id).toBe(lastId ?? '0');
        } else if (event === 'end') {
          end = JSON.parse(data!);
        }
      }
    }
    expect(reconnects).toBeGreaterThan(0);
    expect(end).toMatchObject({ status: 'completed', complete: true });
    expect(text).toBe(Array.from({ length: 12 }, (_, i) => `line ${i + 1}\n`).join(''));
  }, 60_000);
});
