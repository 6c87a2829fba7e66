import type { ExecutionLogV1 } from '@attune/contracts';
import { createHash } from 'node:crypto';
import { LogStream } from './log-stream';

const silent = { warn: () => undefined, error: () => undefined } as never;

function collector(delayMs = 0, failFirst = 0) {
  const sent: ExecutionLogV1[] = [];
  let failures = failFirst;
  const publish = async (c: ExecutionLogV1) => {
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    if (failures-- > 0) throw new Error('no confirm');
    sent.push(c);
  };
  const bytes = () => Buffer.concat(sent.sort((a, b) => a.seq - b.seq).map((c) => Buffer.from(c.data, 'base64')));
  return { sent, publish, bytes };
}

describe('LogStream', () => {
  it('sends ordered bounded chunks and a final chunk with the totals', async () => {
    const c = collector();
    const s = new LogStream(c.publish, { executionId: 1, attempt: 1, stream: 'stdout', maxBytes: 1e9, flushMs: 1000, chunkBytes: 10, logger: silent });
    s.write(Buffer.from('0123456789abcdefghij-tail'));
    const summary = await s.end();
    expect(c.sent.map((x) => [x.seq, x.offset])).toEqual([[0, 0], [1, 10], [2, 20]]);
    expect(c.sent.every((x) => Buffer.from(x.data, 'base64').length <= 10)).toBe(true);
    expect(c.bytes().toString()).toBe('0123456789abcdefghij-tail');
    const last = c.sent[c.sent.length - 1];
    expect(last).toMatchObject({ eof: true, total_bytes: 25, truncated: false, sha256: createHash('sha256').update('0123456789abcdefghij-tail').digest('hex') });
    expect(summary).toEqual({ totalBytes: 25, sha256: last.sha256, truncated: false, droppedBytes: 0 });
  });

  it('sends nothing for a stream that stays empty', async () => {
    const c = collector();
    const s = new LogStream(c.publish, { executionId: 1, attempt: 1, stream: 'stderr', maxBytes: 1e9, flushMs: 10, logger: silent });
    expect(await s.end()).toMatchObject({ totalBytes: 0, truncated: false });
    expect(c.sent).toEqual([]);
  });

  it('flushes a partial chunk after flushMs, so slow output reaches a tail promptly', async () => {
    const c = collector();
    const s = new LogStream(c.publish, { executionId: 1, attempt: 1, stream: 'stdout', maxBytes: 1e9, flushMs: 20, logger: silent });
    s.write(Buffer.from('line 1\n'));
    await new Promise((r) => setTimeout(r, 100));
    expect(c.sent.map((x) => Buffer.from(x.data, 'base64').toString())).toEqual(['line 1\n']);
    await s.end();
  });

  it('asks the producer to wait while too many chunks are unconfirmed', async () => {
    const c = collector(30);
    const s = new LogStream(c.publish, { executionId: 1, attempt: 1, stream: 'stdout', maxBytes: 1e9, flushMs: 1000, chunkBytes: 4, maxInFlight: 2, logger: silent });
    expect(s.write(Buffer.from('aaaa'))).toBe(true);
    expect(s.write(Buffer.from('bbbb'))).toBe(false);
    await s.waitForDrain();
    expect(s.write(Buffer.from('cc'))).toBe(true);
    await s.end();
    expect(c.bytes().toString()).toBe('aaaabbbbcc');
  });

  it('truncates at the cap with an explicit marker, never silently', async () => {
    const c = collector();
    const s = new LogStream(c.publish, { executionId: 1, attempt: 1, stream: 'stderr', maxBytes: 5, flushMs: 1000, logger: silent });
    s.write(Buffer.from('12345678'));
    s.write(Buffer.from('90'));
    const summary = await s.end();
    expect(c.bytes().toString()).toBe('12345\n[attune: output truncated: kept the first 5 bytes, dropped 5 more]\n');
    expect(summary).toMatchObject({ truncated: true, droppedBytes: 5 });
    expect(c.sent[c.sent.length - 1]).toMatchObject({ eof: true, truncated: true, total_bytes: c.bytes().length });
  });

  it('retries a chunk whose publish is not confirmed', async () => {
    const c = collector(0, 2);
    const s = new LogStream(c.publish, { executionId: 1, attempt: 1, stream: 'stdout', maxBytes: 1e9, flushMs: 1000, logger: silent });
    s.write(Buffer.from('kept'));
    await s.end();
    expect(c.bytes().toString()).toBe('kept');
  });
});
