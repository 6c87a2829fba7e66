import type { ExecutionLogV1 } from '@attune/contracts';
import { jest } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogSpool } from './log-spool';
import { runProcess } from './process-runner';

const silent = { warn: jest.fn(), info: jest.fn(), error: jest.fn() } as never;

function collector() {
  const chunks: ExecutionLogV1[] = [];
  return { chunks, publish: async (c: ExecutionLogV1) => void chunks.push(c) };
}

const liveBytes = (chunks: ExecutionLogV1[]) => Buffer.concat(chunks.map((c) => Buffer.from(c.data, 'base64')));
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('LogSpool', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'spool-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs `yes 0123456789 | head -c <bytes>` with both output streams on the spool's file. */
  const writeThroughProcess = (s: LogSpool, bytes: number, captureBytes: number) =>
    runProcess({
      command: '/bin/sh',
      args: ['-c', `yes 0123456789 | head -c ${bytes}`],
      cwd: dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      stdin: '',
      timeoutMs: 60_000,
      killGraceMs: 100,
      captureBytes,
      outputFds: { stdout: s.fd, stderr: s.fd },
    });

  const spool = (publish: (c: ExecutionLogV1) => Promise<void>, over: Partial<ConstructorParameters<typeof LogSpool>[1]> = {}) =>
    new LogSpool(publish, { executionId: 1, attempt: 1, stream: 'stdout', path: join(dir, 'out'), maxBytes: 1e9, flushMs: 5, liveBytesPerSecond: 1e9, logger: silent, ...over });

  it('keeps every byte the process wrote, with its size and SHA-256', async () => {
    const s = spool(collector().publish);
    writeSync(s.fd, 'hello ');
    writeSync(s.fd, 'world\n');
    const summary = await s.end();
    const digest = await s.digest();
    s.close();
    expect(readFileSync(join(dir, 'out'), 'utf8')).toBe('hello world\n');
    expect(summary).toMatchObject({ totalBytes: 12, truncated: false, droppedBytes: 0 });
    expect(digest).toBe(createHash('sha256').update('hello world\n').digest('hex'));
  });

  it('sends live chunks in order, contiguous and bounded, while output arrives', async () => {
    const c = collector();
    const s = spool(c.publish, { chunkBytes: 4 });
    writeSync(s.fd, 'abcdefghij');
    await pause(100);
    writeSync(s.fd, 'klm');
    await pause(100);
    await s.end();
    s.close();
    expect(c.chunks.map((ch) => ch.seq)).toEqual(c.chunks.map((_, i) => i));
    let offset = 0;
    for (const ch of c.chunks) {
      expect(ch.offset).toBe(offset);
      const n = Buffer.from(ch.data, 'base64').length;
      expect(n).toBeLessThanOrEqual(4);
      offset += n;
    }
    expect(liveBytes(c.chunks).toString()).toBe('abcdefghijklm');
  });

  it('keeps live chunks within their rate, and the file whole regardless', async () => {
    const c = collector();
    const s = spool(c.publish, { chunkBytes: 1024, liveBytesPerSecond: 2048 });
    const big = Buffer.alloc(64 * 1024, 'x');
    writeSync(s.fd, big);
    await pause(600);
    const summary = await s.end();
    s.close();
    expect(summary.totalBytes).toBe(big.length);
    // At most the first burst plus 2 KiB/s for 0.6 s went live.
    expect(summary.liveBytes).toBeLessThanOrEqual(1024 + 2048);
    expect(readFileSync(join(dir, 'out')).equals(big)).toBe(true);
  });

  it('stops at the cap with a truncation marker', async () => {
    const s = spool(collector().publish, { maxBytes: 5 });
    writeSync(s.fd, '0123456789');
    const summary = await s.end();
    const digest = await s.digest();
    s.close();
    expect(summary).toMatchObject({ truncated: true, droppedBytes: 5 });
    const text = readFileSync(join(dir, 'out'), 'utf8');
    expect(text).toBe('01234\n[attune: output truncated: kept the first 5 bytes, dropped 5 more]\n');
    expect(summary.totalBytes).toBe(Buffer.byteLength(text));
    expect(digest).toBe(createHash('sha256').update(text).digest('hex'));
  });

  it('keeps the file within the cap while a process writes far past it', async () => {
    const s = spool(collector().publish, { maxBytes: 1024 * 1024, flushMs: 5 });
    const outcome = await writeThroughProcess(s, 67108864, 0);
    const summary = await s.end();
    s.close();
    expect(outcome.exitCode).toBe(0);
    expect(summary.truncated).toBe(true);
    expect(summary.droppedBytes).toBe(67108864 - 1024 * 1024);
    const kept = readFileSync(join(dir, 'out'));
    expect(kept.length).toBe(summary.totalBytes);
    expect(kept.subarray(0, 1024 * 1024).equals(Buffer.alloc(1024 * 1024, '0123456789\n'))).toBe(true);
  }, 60_000);

  it('an empty stream has no bytes and the digest of nothing', async () => {
    const s = spool(collector().publish);
    const summary = await s.end();
    s.close();
    expect(summary).toMatchObject({ totalBytes: 0, truncated: false, liveBytes: 0 });
    expect(summary.sha256).toBe(createHash('sha256').digest('hex'));
  });

  it('takes a process\'s output through its file descriptor whole, with a live prefix of the same bytes', async () => {
    const c = collector();
    const s = spool(c.publish, { liveBytesPerSecond: 1024 * 1024 });
    const outcome = await writeThroughProcess(s, 33554432, 1000);
    const summary = await s.end();
    expect(s.head(11).toString()).toBe('0123456789\n');
    const digest = await s.digest();
    s.close();
    const expected = Buffer.alloc(33554432, '0123456789\n');
    expect(outcome.exitCode).toBe(0);
    expect(summary.totalBytes).toBe(expected.length);
    expect(digest).toBe(createHash('sha256').update(expected).digest('hex'));
    const live = liveBytes(c.chunks);
    expect(live.length).toBe(summary.liveBytes);
    expect(live.equals(expected.subarray(0, live.length))).toBe(true);
  }, 60_000);
});
