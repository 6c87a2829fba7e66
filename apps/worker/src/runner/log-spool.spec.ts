import type { ExecutionLogV1 } from '@attune/contracts';
import { jest } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogSpool } from './log-spool';
import { runProcess } from './process-runner';

const silent = { warn: jest.fn(), info: jest.fn(), error: jest.fn() } as never;

function collector() {
  const chunks: ExecutionLogV1[] = [];
  return { chunks, publish: async (c: ExecutionLogV1) => void chunks.push(c) };
}

const liveText = (chunks: ExecutionLogV1[]) => Buffer.concat(chunks.map((c) => Buffer.from(c.data, 'base64'))).toString();

describe('LogSpool', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'spool-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const spool = (publish: (c: ExecutionLogV1) => Promise<void>, over: Partial<ConstructorParameters<typeof LogSpool>[1]> = {}) =>
    new LogSpool(publish, { executionId: 1, attempt: 1, stream: 'stdout', path: join(dir, 'out'), maxBytes: 1e9, flushMs: 5, liveBytesPerSecond: 1e9, logger: silent, ...over });

  it('keeps every byte in the file with its size and SHA-256', async () => {
    const c = collector();
    const s = spool(c.publish);
    s.write(Buffer.from('hello '));
    s.write(Buffer.from('world\n'));
    const summary = await s.end();
    expect(readFileSync(join(dir, 'out'), 'utf8')).toBe('hello world\n');
    expect(summary).toMatchObject({ totalBytes: 12, truncated: false, droppedBytes: 0 });
    expect(summary.sha256).toBe(createHash('sha256').update('hello world\n').digest('hex'));
  });

  it('sends live chunks in order, contiguous, while output arrives', async () => {
    const c = collector();
    const s = spool(c.publish, { chunkBytes: 4 });
    s.write(Buffer.from('abcdefghij'));
    await new Promise((r) => setTimeout(r, 100));
    s.write(Buffer.from('klm'));
    await new Promise((r) => setTimeout(r, 100));
    await s.end();
    expect(c.chunks.map((ch) => ch.seq)).toEqual(c.chunks.map((_, i) => i));
    let offset = 0;
    for (const ch of c.chunks) {
      expect(ch.offset).toBe(offset);
      offset += Buffer.from(ch.data, 'base64').length;
      expect(Buffer.from(ch.data, 'base64').length).toBeLessThanOrEqual(4);
    }
    expect(liveText(c.chunks)).toBe('abcdefghijklm');
  });

  it('keeps live chunks within their rate, and the file whole regardless', async () => {
    const c = collector();
    const s = spool(c.publish, { chunkBytes: 1024, liveBytesPerSecond: 2048 });
    const big = Buffer.alloc(64 * 1024, 'x');
    s.write(big);
    await new Promise((r) => setTimeout(r, 600));
    const summary = await s.end();
    expect(summary.totalBytes).toBe(big.length);
    // At most the first burst plus 2 KiB/s for 0.6 s went live.
    expect(summary.liveBytes).toBeLessThanOrEqual(1024 + 2048);
    expect(readFileSync(join(dir, 'out')).equals(big)).toBe(true);
  });

  it('stops at the cap with a truncation marker', async () => {
    const s = spool(collector().publish, { maxBytes: 5 });
    s.write(Buffer.from('0123456789'));
    const summary = await s.end();
    expect(summary).toMatchObject({ truncated: true, droppedBytes: 5 });
    const text = readFileSync(join(dir, 'out'), 'utf8');
    expect(text.startsWith('01234\n[attune: output truncated: kept the first 5 bytes, dropped 5 more]')).toBe(true);
    expect(summary.totalBytes).toBe(Buffer.byteLength(text));
  });

  it('creates no file for a stream that stays empty', async () => {
    const summary = await spool(collector().publish).end();
    expect(summary.totalBytes).toBe(0);
    expect(() => readFileSync(join(dir, 'out'))).toThrow();
  });

  it('keeps a fast producer\'s output whole through runProcess, with backpressure', async () => {
    const c = collector();
    const s = spool(c.publish, { liveBytesPerSecond: 1024 * 1024 });
    const outcome = await runProcess({
      command: '/bin/sh',
      args: ['-c', 'yes 0123456789 | head -c 33554432'],
      cwd: dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      stdin: '',
      timeoutMs: 60_000,
      killGraceMs: 100,
      captureBytes: 1000,
      sinks: { stdout: s },
    });
    const summary = await s.end();
    const expected = Buffer.alloc(33554432, '0123456789\n');
    expect(outcome.exitCode).toBe(0);
    expect(summary.totalBytes).toBe(expected.length);
    expect(summary.sha256).toBe(createHash('sha256').update(expected).digest('hex'));
    expect(readFileSync(join(dir, 'out')).equals(expected)).toBe(true);
    // The live chunks are a contiguous prefix of the same bytes.
    const live = Buffer.from(liveText(c.chunks));
    expect(live.length).toBe(summary.liveBytes);
    expect(live.equals(expected.subarray(0, live.length))).toBe(true);
  }, 60_000);
});
