import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { PassThrough, pipeline, Readable } from 'node:stream';
import { parseRange } from '../common/http-range';
import { VerifyingStream } from './artifact-downloads.service';

describe('parseRange', () => {
  it.each([
    ['bytes=0-0', 100, { kind: 'range', start: 0, end: 0 }],
    ['bytes=10-19', 100, { kind: 'range', start: 10, end: 19 }],
    ['bytes=90-', 100, { kind: 'range', start: 90, end: 99 }],
    ['bytes=90-500', 100, { kind: 'range', start: 90, end: 99 }],
    ['bytes=-10', 100, { kind: 'range', start: 90, end: 99 }],
    ['bytes=-500', 100, { kind: 'range', start: 0, end: 99 }],
    ['bytes=100-', 100, { kind: 'unsatisfiable' }],
    ['bytes=100-200', 100, { kind: 'unsatisfiable' }],
    ['bytes=-0', 100, { kind: 'unsatisfiable' }],
    ['bytes=0-', 0, { kind: 'unsatisfiable' }],
  ])('%s of %d bytes', (header, size, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });

  it.each([undefined, '', 'bytes=', 'bytes=-', 'items=0-1', 'bytes=0-1,5-6', 'bytes=5-1', 'bytes=a-b'])('serves %j whole', (header) => {
    expect(parseRange(header, 100)).toEqual({ kind: 'none' });
  });
});

async function through(data: Buffer[], expectedSha: string, size: number): Promise<{ out: Buffer; error?: Error }> {
  const verifier = new VerifyingStream(expectedSha, size, (actual) => new Error(`mismatch: ${actual}`));
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (c: Buffer) => chunks.push(c));
  const error = await new Promise<Error | undefined>((resolve) => pipeline(Readable.from(data), verifier, sink, (err) => resolve(err ?? undefined)));
  return { out: Buffer.concat(chunks), error };
}

describe('VerifyingStream', () => {
  const parts = [Buffer.from('hello '), Buffer.from('checksummed '), Buffer.from('world')];
  const whole = Buffer.concat(parts);
  const digest = createHash('sha256').update(whole).digest('hex');

  it('passes matching content through unchanged', async () => {
    const { out, error } = await through(parts, digest, whole.length);
    expect(error).toBeUndefined();
    expect(out).toEqual(whole);
  });

  it('fails on a mismatch before the last chunk is passed on', async () => {
    const tampered = [parts[0], Buffer.from('CHECKSUMMED '), parts[2]];
    const { out, error } = await through(tampered, digest, whole.length);
    expect(error?.message).toMatch(/^mismatch: [0-9a-f]{64}$/);
    expect(out.length).toBeLessThan(whole.length);
    expect(out).toEqual(Buffer.concat(tampered.slice(0, 2)));
  });

  it('fails on content of another size', async () => {
    expect((await through(parts.slice(0, 2), digest, whole.length)).error?.message).toMatch(/bytes instead of/);
    expect((await through([...parts, Buffer.from('!')], digest, whole.length)).error?.message).toMatch(/more than/);
  });
});
