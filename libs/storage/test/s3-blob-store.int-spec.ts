import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startS3rver, type RunningS3rver } from '@attune/testing';
import { S3BlobStore } from '../src';
import { describeBlobStoreContract, digestStream, generatedStream } from './blob-store-contract';

function storeFor(server: RunningS3rver, bucket = server.bucket): S3BlobStore {
  const { endpoint, region, accessKeyId, secretAccessKey } = server;
  return new S3BlobStore({ endpoint, region, bucket, accessKeyId, secretAccessKey });
}

describeBlobStoreContract('s3 driver (s3rver)', async () => {
  const server = await startS3rver({ bucket: 'contract' });
  const store = storeFor(server);
  return {
    store,
    teardown: async () => {
      await store.close();
      await server.stop();
    },
  };
});

describe('S3BlobStore specifics', () => {
  let server: RunningS3rver;
  let store: S3BlobStore;
  let raw: S3Client;

  beforeAll(async () => {
    server = await startS3rver({ bucket: 'specifics' });
    store = storeFor(server);
    raw = new S3Client({
      endpoint: server.endpoint,
      region: server.region,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    });
  });
  afterAll(async () => {
    raw?.destroy();
    await store?.close();
    await server?.stop();
  });

  it('stores exactly the streamed bytes and their sha256 as x-amz-meta-sha256', async () => {
    const size = 6 * 1024 * 1024 + 1;
    const expected = await digestStream(generatedStream(size, 'raw'));
    await store.put('raw/obj', generatedStream(size, 'raw'));
    const head = await raw.send(new HeadObjectCommand({ Bucket: 'specifics', Key: 'raw/obj' }));
    expect(head.ContentLength).toBe(size);
    expect(head.Metadata).toMatchObject({ sha256: expected.sha256 });
    const got = await raw.send(new GetObjectCommand({ Bucket: 'specifics', Key: 'raw/obj' }));
    expect(await digestStream(got.Body as NodeJS.ReadableStream)).toEqual(expected);
  });

  it('check() fails for a missing bucket, and ensureBucket() creates it (idempotently)', async () => {
    const other = storeFor(server, 'created-on-demand');
    try {
      await expect(other.check()).rejects.toThrow();
      await other.ensureBucket();
      await expect(other.check()).resolves.toBeUndefined();
      await other.ensureBucket();
      await other.put('k', Buffer.from('v'));
      expect(await other.exists('k')).toBe(true);
    } finally {
      await other.close();
    }
  });

  it('check() fails against a stopped server', async () => {
    const doomed = await startS3rver({ bucket: 'doomed' });
    const s = storeFor(doomed);
    try {
      await expect(s.check()).resolves.toBeUndefined();
      await doomed.stop();
      await expect(s.check()).rejects.toThrow();
    } finally {
      await s.close();
      await doomed.stop();
    }
  });

  it('rejects part sizes below the S3 minimum', () => {
    expect(() => new S3BlobStore({ region: 'us-east-1', bucket: 'b', partSizeBytes: 1024 })).toThrow(/5 MiB/);
  });
});
