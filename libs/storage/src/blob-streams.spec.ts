import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { PassThrough, pipeline, Readable } from 'node:stream';
import { BlobTooLargeError, ChecksumMismatchError, SizeMismatchError } from './blob-store.errors';
import { HashingCounter, type HashingOptions } from './blob-streams';

async function through(data: Buffer[], opts: HashingOptions): Promise<{ out: Buffer; chunks: number[]; error?: Error; digest?: string }> {
  const hasher = new HashingCounter('k', opts);
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (c: Buffer) => chunks.push(c));
  const error = await new Promise<Error | undefined>((resolve) => pipeline(Readable.from(data), hasher, sink, (err) => resolve(err ?? undefined)));
  return { out: Buffer.concat(chunks), chunks: chunks.map((c) => c.length), error, digest: error ? undefined : hasher.digest() };
}

describe('HashingCounter', () => {
  const parts = [Buffer.from('hello '), Buffer.from('checksummed '), Buffer.from('world')];
  const whole = Buffer.concat(parts);
  const digest = createHash('sha256').update(whole).digest('hex');

  it('passes the bytes through unchanged and measures their digest and count', async () => {
    const { out, error, digest: measured } = await through(parts, {});
    expect(error).toBeUndefined();
    expect(out).toEqual(whole);
    expect(measured).toBe(digest);
  });

  it('with an expected digest, passes matching content through unchanged', async () => {
    const { out, error } = await through(parts, { expectedSha256: digest, size: whole.length });
    expect(error).toBeUndefined();
    expect(out).toEqual(whole);
  });

  it('fails on a digest mismatch before the last chunk is passed on', async () => {
    const tampered = [parts[0], Buffer.from('CHECKSUMMED '), parts[2]];
    const { out, error } = await through(tampered, { expectedSha256: digest });
    expect(error).toBeInstanceOf(ChecksumMismatchError);
    expect(out).toEqual(Buffer.concat(tampered.slice(0, 2)));
  });

  it('fails on content of another size than announced, before passing an extra byte', async () => {
    const short = await through(parts.slice(0, 2), { size: whole.length });
    expect(short.error).toBeInstanceOf(SizeMismatchError);
    expect(short.error).toMatchObject({ expectedBytes: whole.length, actualBytes: whole.length - parts[2].length });
    const long = await through([...parts, Buffer.from('!')], { size: whole.length });
    expect(long.error).toBeInstanceOf(SizeMismatchError);
    expect(long.out).toEqual(whole);
  });

  it('fails once the body exceeds maxBytes', async () => {
    expect((await through(parts, { maxBytes: 10 })).error).toBeInstanceOf(BlobTooLargeError);
  });

  it('coalesces chunks to at least coalesceBytes, the rest at the end, bytes unchanged', async () => {
    const many = Array.from({ length: 10 }, (_, i) => Buffer.alloc(300, i));
    const plain = await through(many, { coalesceBytes: 1000 });
    expect(plain.chunks).toEqual([1200, 1200, 600]);
    expect(plain.out).toEqual(Buffer.concat(many));
    const verified = await through(many, { coalesceBytes: 1000, size: 3000, expectedSha256: createHash('sha256').update(Buffer.concat(many)).digest('hex') });
    expect(verified.chunks).toEqual([1200, 1200, 600]);
    expect(verified.out).toEqual(Buffer.concat(many));
  });

  it('coalescing with an expected digest still withholds the end of wrong content', async () => {
    const many = Array.from({ length: 10 }, (_, i) => Buffer.alloc(300, i));
    const { out, error } = await through(many, { coalesceBytes: 1000, expectedSha256: digest });
    expect(error).toBeInstanceOf(ChecksumMismatchError);
    expect(out.length).toBe(1200);
  });
});
