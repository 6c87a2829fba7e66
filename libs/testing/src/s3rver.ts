// s3rver has no types; the reference makes them follow this file into every tsconfig that
// compiles it (an import of a .d.ts would fail at runtime under jest).
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./s3rver-module.d.ts" />
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';

export interface RunningS3rver {
  /** http://127.0.0.1:<port>; use with forcePathStyle and the WHEN_REQUIRED checksum settings. */
  endpoint: string;
  bucket: string;
  accessKeyId: 'S3RVER';
  secretAccessKey: 'S3RVER';
  region: 'us-east-1';
  /** Closes the server (dropping open keep-alive sockets) and removes its directory. */
  stop(): Promise<void>;
}

/**
 * Starts an in-process S3-protocol server (s3rver) on a free loopback port, backed by a fresh
 * temp directory, with `bucket` (default "attune-test") already created.
 */
export async function startS3rver(opts: { bucket?: string } = {}): Promise<RunningS3rver> {
  const bucket = opts.bucket ?? 'attune-test';
  const directory = await mkdtemp(path.join(tmpdir(), 'attune-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  let address;
  try {
    address = await server.run();
  } catch (err) {
    await rm(directory, { recursive: true, force: true });
    throw err;
  }
  let stopped = false;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    bucket,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    region: 'us-east-1',
    async stop() {
      if (stopped) return;
      stopped = true;
      const closed = server.close();
      // close() waits for every connection to end; a client's idle keep-alive socket would
      // otherwise hold the test run open.
      server.httpServer?.closeAllConnections();
      await closed;
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** An S3 client for a running s3rver: path-style, checksums only when required (toolchain pitfall 12). */
export function s3rverClient(s3: RunningS3rver): S3Client {
  return new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
}

/**
 * The services' environment for the S3 driver on this s3rver. Also keeps the upload directory
 * alive with an empty object: s3rver removes a directory when its last object goes, racing with
 * a concurrent put into it (uploads of stored content are deleted at commit).
 */
export async function s3rverStorageEnv(s3: RunningS3rver, client: S3Client): Promise<Record<string, string>> {
  await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'blobs/u/.keep', Body: Buffer.alloc(0) }));
  return {
    ATTUNE_STORAGE_DRIVER: 's3',
    ATTUNE_S3_ENDPOINT: s3.endpoint,
    ATTUNE_S3_BUCKET: s3.bucket,
    ATTUNE_S3_ACCESS_KEY_ID: s3.accessKeyId,
    ATTUNE_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
  };
}
