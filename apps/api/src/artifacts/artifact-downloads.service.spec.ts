import { type DomainError, ERROR_CODES } from '@attune/contracts';
import type { Artifact, ArtifactVersion, BlobRepository } from '@attune/persistence';
import type { BlobStore, ByteRange } from '@attune/storage';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import express from 'express';
import { createHash } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { parseRange } from '../common/http/http-range';
import { sendBlob } from '../common/http/send-blob';
import { ApiConfig } from '../config/api.config';
import { ArtifactDownloads } from './artifact-downloads.service';

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

describe('ArtifactDownloads', () => {
  const MiB = 1024 * 1024;
  const content = Buffer.alloc(8 * MiB, 7);
  const sha = createHash('sha256').update(content).digest('hex');
  const artifact = { id: 3, ref: 'a.b', name: 'big.bin' } as Artifact;
  const version = { version: 1, sizeBytes: content.length, sha256: sha, contentType: 'application/octet-stream' } as ArtifactVersion;
  /** What the fake store was asked for and how many bytes it handed out. */
  let reads: Array<{ range?: ByteRange; bytes: number }>;
  let corruptSince: Date | null;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    const store = {
      async get(_key: string, range?: ByteRange) {
        const read = { range, bytes: 0 };
        reads.push(read);
        const bytes = range ? content.subarray(range.start, (range.end ?? content.length - 1) + 1) : content;
        // Served in 64 KiB pieces, as a store does; counted as they are consumed.
        return Readable.from(
          (function* () {
            for (let i = 0; i < bytes.length; i += 64 * 1024) {
              const piece = bytes.subarray(i, i + 64 * 1024);
              read.bytes += piece.length;
              yield piece;
            }
          })(),
        );
      },
    } as unknown as BlobStore;
    const repo = { blobForDownload: async () => ({ key: 'blobs/u/x', corruptSince }) } as unknown as BlobRepository;
    const config = Object.assign(new ApiConfig(), { artifactVerifyBufferBytes: 8 * MiB });
    const downloads = new ArtifactDownloads(config, repo, store);
    const app = express();
    app.get('/', (req, res) => {
      sendBlob(req, res, downloads.blob(artifact, version)).catch((err: DomainError) => res.status(ERROR_CODES[err.code] ?? 500).json({ code: err.code, error: err.message, details: err.details }));
    });
    server = await new Promise<Server>((r) => {
      const s = app.listen(0, '127.0.0.1', () => r(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise((r) => server.close(r)));
  beforeEach(() => {
    reads = [];
    corruptSince = null;
  });

  it('streams a range of an 8 MiB version without reading the rest of it', async () => {
    const res = await fetch(base, { headers: { range: 'bytes=0-0' } });
    expect(res.status).toBe(206);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(content.subarray(0, 1));
    expect(reads).toEqual([{ range: { start: 0, end: 0 }, bytes: 1 }]);
    const tail = await fetch(base, { headers: { range: 'bytes=-100000' } });
    expect(tail.status).toBe(206);
    expect((await tail.arrayBuffer()).byteLength).toBe(100_000);
    expect(reads[1]).toEqual({ range: { start: content.length - 100_000, end: content.length - 1 }, bytes: 100_000 });
  });

  it('still reads and checks a whole small version before answering', async () => {
    const res = await fetch(base);
    expect(res.status).toBe(200);
    expect((await res.arrayBuffer()).byteLength).toBe(content.length);
    expect(reads).toEqual([{ range: undefined, bytes: content.length }]);
  });

  it('refuses a blob the scrub found corrupt, whole or in part, without reading it', async () => {
    corruptSince = new Date('2026-12-01T00:00:00Z');
    for (const headers of [{}, { range: 'bytes=0-0' }] as Record<string, string>[]) {
      const res = await fetch(base, { headers });
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({
        code: 'SERVICE_UNAVAILABLE',
        error: expect.stringContaining('failed its integrity check on 2026-12-01T00:00:00.000Z'),
        details: { reason: 'CORRUPT_CONTENT', sha256: sha },
      });
    }
    expect(reads).toEqual([]);
  });
});
