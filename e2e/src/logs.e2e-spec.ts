import { createHash } from 'node:crypto';
import { execute, usePlatform, waitForTerminal } from './support';

const ctx = usePlatform('logs');

/**
 * The full log, read once, as a client reads it the instant the execution is terminal: it must
 * be whole then (terminal means complete), so nothing here waits or retries.
 */
async function completeLog(path: string): Promise<{ body: Buffer; headers: Headers }> {
  const res = await fetch(`${ctx.platform.apiUrl}${path}`, { headers: { authorization: `Bearer ${ctx.api.token}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('x-log-complete')).toBe('true');
  const body = Buffer.from(await res.arrayBuffer());
  expect(body.length).toBe(Number(res.headers.get('content-length')));
  return { body, headers: res.headers };
}

interface SseEvent {
  id?: string;
  event: string;
  data: string;
  at: number;
}

/** Reads Server-Sent Events until the stream ends or `stopAfter` log events arrived. */
async function readSse(path: string, opts: { lastEventId?: string; stopAfter?: number } = {}): Promise<SseEvent[]> {
  const controller = new AbortController();
  const headers: Record<string, string> = { authorization: `Bearer ${ctx.api.token}` };
  if (opts.lastEventId) headers['last-event-id'] = opts.lastEventId;
  const res = await fetch(`${ctx.platform.apiUrl}${path}`, { headers, signal: controller.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let sep: number;
      while ((sep = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, sep);
        buffer = buffer.slice(sep + 2);
        if (block.startsWith(':')) continue;
        const ev: SseEvent = { event: 'message', data: '', at: Date.now() };
        for (const line of block.split('\n')) {
          const [field, ...rest] = line.split(': ');
          const value = rest.join(': ');
          if (field === 'id') ev.id = value;
          else if (field === 'event') ev.event = value;
          else if (field === 'data') ev.data += value;
        }
        events.push(ev);
        if (ev.event === 'end') return events;
        if (opts.stopAfter && events.filter((e) => e.event === 'log').length >= opts.stopAfter) {
          controller.abort();
          return events;
        }
      }
    }
  } catch (err) {
    if ((err as Error).name !== 'AbortError') throw err;
  }
  return events;
}

const text = (events: SseEvent[]) => events.filter((e) => e.event === 'log').map((e) => JSON.parse(e.data) as string).join('');

describe('execution logs', () => {
  it('gives core.echo the contract result with a downloadable stdout_log', async () => {
    const e = await execute(ctx.api, 'core.echo', { message: 'hello, world' });
    const done = await waitForTerminal(ctx.api, e.id);
    expect(done.result).toEqual({
      exit_code: 0,
      succeeded: true,
      duration_ms: expect.any(Number),
      stdout: 'hello, world\n',
      stdout_truncated: false,
      stdout_log: `/api/v1/executions/${e.id}/logs/stdout`,
      stdout_log_bytes: 13,
      stdout_log_sha256: createHash('sha256').update('hello, world\n').digest('hex'),
    });
    const log = await completeLog(done.result.stdout_log);
    expect(log.body.toString()).toBe('hello, world\n');
    expect(log.headers.get('x-checksum-sha256')).toBe(createHash('sha256').update('hello, world\n').digest('hex'));
    const artifacts = await ctx.api.get(`/api/v1/artifacts?execution=${e.id}&origin=log`);
    expect(artifacts.status).toBe(200);
    expect(artifacts.body.data).toEqual([expect.objectContaining({ type: 'file_text', execution: e.id, ref: `execution.${e.id}.stdout`, origin: 'log' })]);
  });

  it('keeps stderr, its log and the error of a failing action', async () => {
    const done = await waitForTerminal(ctx.api, (await execute(ctx.api, 'core.local', { cmd: 'echo out; echo "it broke" >&2; exit 2' })).id);
    expect(done.status).toBe('failed');
    expect(done.result).toMatchObject({ exit_code: 2, stderr: 'it broke\n', error: 'Command exited with code 2' });
    expect((await completeLog(done.result.stderr_log)).body.toString()).toBe('it broke\n');
    expect((await completeLog(done.result.stdout_log)).body.toString()).toBe('out\n');
  });

  it('stores 20 MB of output byte for byte, with a bounded preview and a small row', async () => {
    const size = 20 * 1024 * 1024;
    const line = 'attune log line 0123456789\n';
    const expected = Buffer.alloc(size, line);
    const done = await waitForTerminal(ctx.api, (await execute(ctx.api, 'core.local', { cmd: `yes 'attune log line 0123456789' | head -c ${size}` })).id, 60_000);
    expect(done.status).toBe('completed');
    expect(done.result.stdout.length).toBe(1000);
    expect(done.result.stdout_truncated).toBe(true);
    expect(JSON.stringify(done.result).length).toBeLessThan(4096);
    const log = await completeLog(done.result.stdout_log);
    expect(log.body.length).toBe(size);
    const sha = createHash('sha256').update(expected).digest('hex');
    expect(createHash('sha256').update(log.body).digest('hex')).toBe(sha);
    expect(log.headers.get('x-checksum-sha256')).toBe(sha);

    const range = await fetch(`${ctx.platform.apiUrl}${done.result.stdout_log}`, {
      headers: { authorization: `Bearer ${ctx.api.token}`, range: 'bytes=1000-1099' },
    });
    expect(range.status).toBe(206);
    expect(range.headers.get('content-range')).toBe(`bytes 1000-1099/${size}`);
    expect(Buffer.from(await range.arrayBuffer()).equals(expected.subarray(1000, 1100))).toBe(true);
    const unsatisfiable = await fetch(`${ctx.platform.apiUrl}${done.result.stdout_log}`, {
      headers: { authorization: `Bearer ${ctx.api.token}`, range: `bytes=${size}-` },
    });
    expect(unsatisfiable.status).toBe(416);
  });

  it('tails a running action live, and resumes from Last-Event-ID without loss or repeats', async () => {
    const e = await execute(ctx.api, 'core.local', { cmd: 'for i in 1 2 3 4 5; do echo "line $i"; sleep 1; done' });
    const path = `/api/v1/executions/${e.id}/logs/stdout/stream`;
    const first = await readSse(path, { stopAfter: 2 });
    const firstLogs = first.filter((ev) => ev.event === 'log');
    // Lines arrive one by one as they are printed, about a second apart, not all at the end.
    expect(firstLogs.length).toBe(2);
    expect(firstLogs[1].at - firstLogs[0].at).toBeGreaterThan(500);
    expect(firstLogs[1].at - firstLogs[0].at).toBeLessThan(1600);
    const rest = await readSse(path, { lastEventId: firstLogs[1].id });
    expect(rest[rest.length - 1]).toMatchObject({ event: 'end' });
    expect(JSON.parse(rest[rest.length - 1].data)).toMatchObject({ status: 'completed' });
    expect(text(first) + text(rest)).toBe('line 1\nline 2\nline 3\nline 4\nline 5\n');
    // A tail opened after the end replays the whole log and ends.
    expect(text(await readSse(path))).toBe('line 1\nline 2\nline 3\nline 4\nline 5\n');
  });

  it('answers 404 for an unknown stream or execution, and 400 for a bad Last-Event-ID', async () => {
    const e = await execute(ctx.api, 'core.noop');
    await waitForTerminal(ctx.api, e.id);
    expect((await ctx.api.get(`/api/v1/executions/${e.id}/logs/stdlog`)).status).toBe(404);
    expect((await ctx.api.get(`/api/v1/executions/99999999/logs/stdout`)).status).toBe(404);
    const bad = await ctx.api.request('GET', `/api/v1/executions/${e.id}/logs/stdout/stream`, undefined, { 'last-event-id': 'abc' });
    expect(bad.status).toBe(400);
  });
});
