import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createCipheriv, createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  BlobNotFoundError,
  BlobTooLargeError,
  ChecksumMismatchError,
  InvalidBlobKeyError,
  RangeNotSatisfiableError,
  SizeMismatchError,
  type BlobHead,
  type BlobStore,
} from '../src';

export interface ContractSubject {
  store: BlobStore;
  teardown(): Promise<void>;
}

const MiB = 1024 * 1024;

export function sha256Of(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** Hashes a stream without holding it, for bodies too big to compare as Buffers. */
export async function digestStream(stream: NodeJS.ReadableStream): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest('hex'), size };
}

/**
 * Deterministic pseudo-random bytes (AES-CTR keystream), produced chunk by chunk on demand, so
 * a big body never exists as one Buffer. The same seed always yields the same bytes.
 */
export function generatedStream(size: number, seed = 'attune'): Readable {
  const key = createHash('sha256').update(seed).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(64 * 1024);
  let left = size;
  return new Readable({
    read() {
      if (left === 0) {
        this.push(null);
        return;
      }
      const n = Math.min(left, zeros.length);
      left -= n;
      this.push(cipher.update(zeros.subarray(0, n)));
    },
  });
}

/** A body that yields `good` and then fails, as a dropped client connection would. */
function failingStream(good: Buffer, error: Error): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(good);
      } else {
        this.destroy(error);
      }
    },
  });
}

async function listAll(store: BlobStore, prefix: string, startAfter?: string): Promise<BlobHead[]> {
  const out: BlobHead[] = [];
  for await (const item of store.list(prefix, startAfter === undefined ? undefined : { startAfter })) out.push(item);
  return out;
}

/**
 * What every BlobStore driver promises. Each test works under its own key prefix, so the
 * suite can share one store (and one s3rver) without tests seeing each other's blobs.
 */
export function describeBlobStoreContract(name: string, factory: () => Promise<ContractSubject>): void {
  describe(`BlobStore contract: ${name}`, () => {
    let subject: ContractSubject;
    let store: BlobStore;
    let counter = 0;
    const prefix = (label: string) => `contract/${++counter}-${label}/`;

    beforeAll(async () => {
      subject = await factory();
      store = subject.store;
    });
    afterAll(async () => {
      await subject?.teardown();
    });

    it('reports that its backend answers', async () => {
      await expect(store.check()).resolves.toBeUndefined();
    });

    it('round-trips a Buffer with the same sha256 as node:crypto and keeps the content type', async () => {
      const key = `${prefix('roundtrip')}hello.txt`;
      const data = Buffer.from('hello, attune\n');
      const result = await store.put(key, data, { contentType: 'text/plain' });
      expect(result).toEqual({ key, size: data.length, sha256: sha256Of(data) });
      expect(result.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(await readAll(await store.get(key))).toEqual(data);
      expect(await store.head(key)).toEqual({ key, size: data.length, sha256: sha256Of(data), contentType: 'text/plain' });
    });

    it('defaults the content type to application/octet-stream', async () => {
      const key = `${prefix('ctype')}blob`;
      await store.put(key, Buffer.from('x'));
      expect((await store.head(key))?.contentType).toBe('application/octet-stream');
    });

    it('round-trips an empty blob', async () => {
      const key = `${prefix('empty')}nothing`;
      const result = await store.put(key, Buffer.alloc(0));
      expect(result).toEqual({ key, size: 0, sha256: sha256Of(Buffer.alloc(0)) });
      expect((await readAll(await store.get(key))).length).toBe(0);
      expect(await store.head(key)).toMatchObject({ size: 0, sha256: result.sha256 });
    });

    it('round-trips keys with spaces and non-ASCII characters', async () => {
      const key = `${prefix('names')}dir with space/résumé ✓.txt`;
      const data = Buffer.from('unicode key');
      await store.put(key, data);
      expect(await readAll(await store.get(key))).toEqual(data);
      expect((await store.head(key))?.sha256).toBe(sha256Of(data));
      expect((await listAll(store, key)).map((h) => h.key)).toEqual([key]);
    });

    it('streams a 20+ MiB generated body byte-exactly (multipart, no aws-chunked framing)', async () => {
      const key = `${prefix('large')}big.bin`;
      const size = 21 * MiB + 12_345; // not a multiple of any part size
      const expected = await digestStream(generatedStream(size, 'large'));

      const result = await store.put(key, generatedStream(size, 'large'));
      expect(result).toEqual({ key, size, sha256: expected.sha256 });
      expect(await store.head(key)).toMatchObject({ size, sha256: expected.sha256 });
      expect(await digestStream(await store.get(key))).toEqual(expected);

      // A window that straddles the 8 MiB part boundary comes back exactly.
      const all = await readAll(generatedStream(size, 'large'));
      const start = 8 * MiB - 100;
      const window = await readAll(await store.get(key, { start, end: start + 199 }));
      expect(window).toEqual(all.subarray(start, start + 200));
      const tail = await readAll(await store.get(key, { start: size - 10 }));
      expect(tail).toEqual(all.subarray(size - 10));
    });

    describe('range reads', () => {
      const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
      let key: string;
      beforeAll(async () => {
        key = `${prefix('range')}r.bin`;
        await store.put(key, data);
      });

      it('reads from start to the end', async () => {
        expect(await readAll(await store.get(key, { start: 990 }))).toEqual(data.subarray(990));
      });

      it('reads an inclusive start-end window', async () => {
        expect(await readAll(await store.get(key, { start: 10, end: 19 }))).toEqual(data.subarray(10, 20));
      });

      it('reads a single byte, including the first one', async () => {
        expect(await readAll(await store.get(key, { start: 0, end: 0 }))).toEqual(data.subarray(0, 1));
        expect(await readAll(await store.get(key, { start: 999, end: 999 }))).toEqual(data.subarray(999));
      });

      it('clamps an end beyond the blob to its last byte', async () => {
        expect(await readAll(await store.get(key, { start: 995, end: 5000 }))).toEqual(data.subarray(995));
      });

      it('rejects a start at or beyond the size with RangeNotSatisfiableError', async () => {
        await expect(store.get(key, { start: 1000 })).rejects.toBeInstanceOf(RangeNotSatisfiableError);
        await expect(store.get(key, { start: 5000, end: 6000 })).rejects.toBeInstanceOf(RangeNotSatisfiableError);
      });

      it('rejects any range on an empty blob', async () => {
        const empty = `${prefix('range-empty')}e`;
        await store.put(empty, Buffer.alloc(0));
        await expect(store.get(empty, { start: 0 })).rejects.toBeInstanceOf(RangeNotSatisfiableError);
      });

      it('rejects malformed ranges (negative start, end before start)', async () => {
        await expect(store.get(key, { start: -1 })).rejects.toBeInstanceOf(RangeNotSatisfiableError);
        await expect(store.get(key, { start: 10, end: 9 })).rejects.toBeInstanceOf(RangeNotSatisfiableError);
      });

      it('reports a missing key as BlobNotFoundError even with a range', async () => {
        await expect(store.get(`${key}.missing`, { start: 0 })).rejects.toBeInstanceOf(BlobNotFoundError);
      });
    });

    it('head/exists/delete: absent, present, gone; deleting twice is fine', async () => {
      const key = `${prefix('lifecycle')}obj`;
      expect(await store.head(key)).toBeNull();
      expect(await store.exists(key)).toBe(false);
      await store.put(key, Buffer.from('abc'));
      expect(await store.exists(key)).toBe(true);
      expect(await store.head(key)).toMatchObject({ key, size: 3 });
      await store.delete(key);
      expect(await store.exists(key)).toBe(false);
      expect(await store.head(key)).toBeNull();
      await expect(store.delete(key)).resolves.toBeUndefined();
      await expect(store.delete(`${key}-never-existed`)).resolves.toBeUndefined();
    });

    it('get of a missing key rejects with BlobNotFoundError', async () => {
      await expect(store.get(`${prefix('missing')}nope`)).rejects.toBeInstanceOf(BlobNotFoundError);
    });

    it('overwrites an existing key', async () => {
      const key = `${prefix('overwrite')}obj`;
      await store.put(key, Buffer.from('first version'));
      const second = Buffer.from('second');
      await store.put(key, second);
      expect(await readAll(await store.get(key))).toEqual(second);
      expect(await store.head(key)).toMatchObject({ size: second.length, sha256: sha256Of(second) });
    });

    describe('maxBytes', () => {
      it('accepts a body of exactly maxBytes', async () => {
        const key = `${prefix('max-exact')}ok`;
        await expect(store.put(key, Buffer.alloc(1000, 1), { maxBytes: 1000 })).resolves.toMatchObject({ size: 1000 });
      });

      it('rejects a small body over the limit with BlobTooLargeError and keeps nothing', async () => {
        const p = prefix('max-small');
        const key = `${p}too-big`;
        await expect(store.put(key, Buffer.alloc(1001, 1), { maxBytes: 1000 })).rejects.toBeInstanceOf(BlobTooLargeError);
        expect(await store.exists(key)).toBe(false);
        expect(await listAll(store, p)).toEqual([]);
      });

      it('rejects a streamed body that crosses the limit after several MiB and keeps nothing', async () => {
        const p = prefix('max-stream');
        const key = `${p}too-big`;
        const error = await store.put(key, generatedStream(20 * MiB), { maxBytes: 9 * MiB }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(BlobTooLargeError);
        expect((error as BlobTooLargeError).maxBytes).toBe(9 * MiB);
        expect(await store.exists(key)).toBe(false);
        expect(await listAll(store, p)).toEqual([]);
      });
    });

    describe('expectedSha256', () => {
      it('accepts a matching digest, in either case', async () => {
        const data = Buffer.from('verified');
        const key = `${prefix('sha-ok')}obj`;
        await expect(store.put(key, data, { expectedSha256: sha256Of(data).toUpperCase() })).resolves.toMatchObject({
          sha256: sha256Of(data),
        });
        expect((await store.head(key))?.sha256).toBe(sha256Of(data));
      });

      it('rejects a mismatch with ChecksumMismatchError and keeps nothing', async () => {
        const p = prefix('sha-bad');
        const key = `${p}obj`;
        const data = Buffer.from('tampered');
        const wrong = sha256Of(Buffer.from('original'));
        const error = await store.put(key, data, { expectedSha256: wrong }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ChecksumMismatchError);
        expect(error).toMatchObject({ expectedSha256: wrong, actualSha256: sha256Of(data) });
        expect(await store.exists(key)).toBe(false);
        expect(await listAll(store, p)).toEqual([]);
      });

      it('rejects a mismatch on a multi-part streamed body and keeps nothing', async () => {
        const p = prefix('sha-bad-large');
        const key = `${p}obj`;
        const wrong = sha256Of(Buffer.from('something else'));
        await expect(store.put(key, generatedStream(12 * MiB), { expectedSha256: wrong })).rejects.toBeInstanceOf(
          ChecksumMismatchError,
        );
        expect(await store.exists(key)).toBe(false);
        expect(await listAll(store, p)).toEqual([]);
      });
    });

    describe('size (a body of announced length)', () => {
      it('stores a multi-MiB streamed body of the announced size byte-exactly, recording an announced digest', async () => {
        const key = `${prefix('sized')}obj`;
        const size = 9 * MiB + 5;
        const expected = await digestStream(generatedStream(size, 'sized'));
        const put = await store.put(key, generatedStream(size, 'sized'), { size, expectedSha256: expected.sha256, contentType: 'text/plain' });
        expect(put).toEqual({ key, size, sha256: expected.sha256 });
        expect(await store.head(key)).toMatchObject({ size, sha256: expected.sha256, contentType: 'text/plain' });
        expect(await digestStream(await store.get(key))).toEqual(expected);
      });

      it('stores an empty body announced as 0 bytes', async () => {
        const key = `${prefix('sized-empty')}obj`;
        await expect(store.put(key, Buffer.alloc(0), { size: 0 })).resolves.toMatchObject({ size: 0 });
        expect(await readAll(await store.get(key))).toEqual(Buffer.alloc(0));
      });

      it('rejects a body shorter or longer than announced with SizeMismatchError and keeps nothing', async () => {
        const p = prefix('sized-bad');
        const short = await store.put(`${p}short`, generatedStream(2 * MiB), { size: 2 * MiB + 1 }).catch((e: unknown) => e);
        expect(short).toBeInstanceOf(SizeMismatchError);
        expect(short).toMatchObject({ expectedBytes: 2 * MiB + 1, actualBytes: 2 * MiB });
        const long = await store.put(`${p}long`, generatedStream(2 * MiB), { size: MiB }).catch((e: unknown) => e);
        expect(long).toBeInstanceOf(SizeMismatchError);
        expect(await listAll(store, p)).toEqual([]);
      });

      it('rejects a body of the right size but another digest with ChecksumMismatchError, never completing the write', async () => {
        const p = prefix('sized-sha-bad');
        const wrong = sha256Of(Buffer.from('something else'));
        await expect(store.put(`${p}obj`, generatedStream(6 * MiB), { size: 6 * MiB, expectedSha256: wrong })).rejects.toBeInstanceOf(
          ChecksumMismatchError,
        );
        expect(await store.exists(`${p}obj`)).toBe(false);
        expect(await listAll(store, p)).toEqual([]);
      });

      it('rejects with the body error when a body of announced size fails midway, keeping nothing', async () => {
        const p = prefix('sized-broken');
        const good = await readAll(generatedStream(3 * MiB));
        await expect(store.put(`${p}obj`, failingStream(good, new Error('client went away')), { size: 8 * MiB })).rejects.toThrow(
          'client went away',
        );
        expect(await listAll(store, p)).toEqual([]);
      });
    });

    it('never exposes a half-written blob, and a body that fails leaves nothing', async () => {
      const p = prefix('broken-body');
      const key = `${p}obj`;
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let pushed = false;
      const body = new Readable({
        read() {
          if (!pushed) {
            pushed = true;
            this.push(Buffer.alloc(64 * 1024, 7));
            void gate.then(() => this.destroy(new Error('client went away')));
          }
        },
      });
      const pending = store.put(key, body);
      pending.catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await store.exists(key)).toBe(false);
      release();
      await expect(pending).rejects.toThrow('client went away');
      expect(await store.exists(key)).toBe(false);
      expect(await listAll(store, p)).toEqual([]);
    });

    it('rejects with the body error when a multi-MiB body fails midway, keeping nothing', async () => {
      const p = prefix('broken-large');
      const key = `${p}obj`;
      const good = await readAll(generatedStream(10 * MiB));
      await expect(store.put(key, failingStream(good, new Error('disk read failed')))).rejects.toThrow('disk read failed');
      expect(await store.exists(key)).toBe(false);
      expect(await listAll(store, p)).toEqual([]);
    });

    it('copies a blob with its sha256 and content type; the source stays', async () => {
      const p = prefix('copy');
      const data = Buffer.from('promote me');
      await store.put(`${p}staging`, data, { contentType: 'application/json' });
      await store.copy(`${p}staging`, `${p}final/blob`);
      expect(await readAll(await store.get(`${p}final/blob`))).toEqual(data);
      expect(await store.head(`${p}final/blob`)).toEqual({
        key: `${p}final/blob`,
        size: data.length,
        sha256: sha256Of(data),
        contentType: 'application/json',
      });
      expect(await store.exists(`${p}staging`)).toBe(true);
    });

    it('copy overwrites the target, and copying a missing source rejects with BlobNotFoundError', async () => {
      const p = prefix('copy-over');
      await store.put(`${p}a`, Buffer.from('new bytes'));
      await store.put(`${p}b`, Buffer.from('old'));
      await store.copy(`${p}a`, `${p}b`);
      expect((await readAll(await store.get(`${p}b`))).toString()).toBe('new bytes');
      expect((await store.head(`${p}b`))?.sha256).toBe(sha256Of(Buffer.from('new bytes')));
      await expect(store.copy(`${p}missing`, `${p}c`)).rejects.toBeInstanceOf(BlobNotFoundError);
      expect(await store.exists(`${p}c`)).toBe(false);
    });

    it('copies a multi-part blob byte-exactly', async () => {
      const p = prefix('copy-large');
      const size = 11 * MiB + 7;
      const expected = await digestStream(generatedStream(size, 'copy'));
      await store.put(`${p}src`, generatedStream(size, 'copy'));
      await store.copy(`${p}src`, `${p}dst`);
      expect(await digestStream(await store.get(`${p}dst`))).toEqual(expected);
      expect(await store.head(`${p}dst`)).toMatchObject({ size, sha256: expected.sha256 });
    });

    it('copy records a digest the caller measured, and refuses one that contradicts the recorded digest', async () => {
      const p = prefix('copy-digest');
      const data = Buffer.from('staged without a recorded digest');
      const put = await store.put(`${p}staging`, data, { recordDigest: false, contentType: 'text/plain' });
      expect(put.sha256).toBe(sha256Of(data));
      await store.copy(`${p}staging`, `${p}final`, { sha256: put.sha256 });
      expect(await store.head(`${p}final`)).toMatchObject({ size: data.length, sha256: sha256Of(data) });
      expect(await readAll(await store.get(`${p}final`))).toEqual(data);
      await store.put(`${p}recorded`, data);
      await expect(store.copy(`${p}recorded`, `${p}other`, { sha256: sha256Of(Buffer.from('x')) })).rejects.toBeInstanceOf(ChecksumMismatchError);
      expect(await store.exists(`${p}other`)).toBe(false);
    });

    // Order is not part of the contract: S3 lists in key order, s3rver does not.
    const keysOf = async (prefix: string) => (await listAll(store, prefix)).map((h) => h.key).sort();

    it('lists by plain string prefix, with sizes', async () => {
      const p = prefix('list');
      const keys = ['a', 'b/c', 'b/d', 'bz', 'b-dash', 'c/deep/er/x'];
      for (const [i, k] of keys.entries()) await store.put(`${p}${k}`, Buffer.alloc(i + 1));
      await store.put(`${p.slice(0, -1)}-sibling`, Buffer.from('outside'));

      const all = (await listAll(store, p)).sort((a, b) => (a.key < b.key ? -1 : 1));
      expect(all).toEqual(
        ['a', 'b-dash', 'b/c', 'b/d', 'bz', 'c/deep/er/x'].map((k) => ({ key: `${p}${k}`, size: keys.indexOf(k) + 1 })),
      );
      expect(await keysOf(`${p}b`)).toEqual(['b-dash', 'b/c', 'b/d', 'bz'].map((k) => p + k));
      expect(await keysOf(`${p}b/`)).toEqual([`${p}b/c`, `${p}b/d`]);
      expect(await keysOf(`${p}c/de`)).toEqual([`${p}c/deep/er/x`]);
      expect(await listAll(store, `${p}nothing/`)).toEqual([]);
      expect(await listAll(store, `${prefix('never-used')}`)).toEqual([]);
    });

    it('lists only the keys after startAfter', async () => {
      const p = prefix('list-after');
      for (const k of ['1000-a', '1000-b', '2000-a', '3000-a']) await store.put(`${p}${k}`, Buffer.from(k));
      const after = async (startAfter: string) => (await listAll(store, p, startAfter)).map((h) => h.key.slice(p.length)).sort();
      expect(await after(`${p}1000-a`)).toEqual(['1000-b', '2000-a', '3000-a']);
      expect(await after(`${p}2000`)).toEqual(['2000-a', '3000-a']);
      expect(await after(`${p}9`)).toEqual([]);
      expect(await after('')).toEqual(['1000-a', '1000-b', '2000-a', '3000-a']);
    });

    it('rejects invalid keys on every operation with InvalidBlobKeyError', async () => {
      const bad = ['', '/abs', '../escape', 'a/../../b', 'a/..', '..', 'a//b', 'a/./b', 'trailing/', 'nul\u0000byte', 'back\\slash', 'k'.repeat(1025)];
      const good = `${prefix('invalid')}ok`;
      await store.put(good, Buffer.from('x'));
      for (const key of bad) {
        await expect(store.put(key, Buffer.from('x'))).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(store.get(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(store.head(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(store.exists(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(store.delete(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(store.copy(good, key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(store.copy(key, good)).rejects.toBeInstanceOf(InvalidBlobKeyError);
      }
      for (const p of ['/abs', '../', 'a/../', 'a//', 'nul\u0000']) {
        await expect(listAll(store, p)).rejects.toBeInstanceOf(InvalidBlobKeyError);
      }
    });
  });
}
