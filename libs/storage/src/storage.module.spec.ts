import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BlobStore } from './blob-store';
import { FsBlobStore } from './fs-blob-store';
import { S3BlobStore } from './s3-blob-store';
import { BLOB_STORE, createBlobStore, StorageHealthIndicator, StorageModule } from './storage.module';

describe('createBlobStore', () => {
  it('builds the fs driver', () => {
    const store = createBlobStore({ driver: 'fs', fsRoot: '/tmp/attune-unused' });
    expect(store).toBeInstanceOf(FsBlobStore);
    expect(store.driver).toBe('fs');
  });

  it('builds the s3 driver', async () => {
    const store = createBlobStore({ driver: 's3', s3: { region: 'us-east-1', bucket: 'b', endpoint: 'http://127.0.0.1:1' } });
    expect(store).toBeInstanceOf(S3BlobStore);
    expect(store.driver).toBe('s3');
    await store.close();
  });

  it('fails fast on incomplete config', () => {
    expect(() => createBlobStore({ driver: 'fs' })).toThrow(/fsRoot/);
    expect(() => createBlobStore({ driver: 's3' })).toThrow(/s3 options/);
    expect(() => createBlobStore({ driver: 'ftp' as 'fs' })).toThrow(/unknown driver/);
    expect(() =>
      createBlobStore({ driver: 's3', s3: { region: 'us-east-1', bucket: 'b', accessKeyId: 'only-half' } }),
    ).toThrow(/both/);
  });
});

describe('StorageModule', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'attune-storage-module-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('provides BLOB_STORE and a "storage" health indicator that reflects the backend', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [StorageModule.forRoot({ driver: 'fs', fsRoot: path.join(dir, 'blobs') })],
    }).compile();
    const store = moduleRef.get<BlobStore>(BLOB_STORE);
    expect(store).toBeInstanceOf(FsBlobStore);
    const health = moduleRef.get(StorageHealthIndicator);
    expect(health.name).toBe('storage');
    await expect(health.check()).resolves.toBeUndefined();
    await moduleRef.close();
  });

  it('reports the backend as down when the directory cannot be written', async () => {
    const file = path.join(dir, 'not-a-dir');
    await writeFile(file, 'x');
    const moduleRef = await Test.createTestingModule({
      imports: [StorageModule.forRoot({ driver: 'fs', fsRoot: file })],
    }).compile();
    await expect(moduleRef.get(StorageHealthIndicator).check()).rejects.toThrow();
    await moduleRef.close();
  });

  it('closes the store on shutdown', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [StorageModule.forRoot({ driver: 'fs', fsRoot: path.join(dir, 'closing') })],
    }).compile();
    const store = moduleRef.get<BlobStore>(BLOB_STORE);
    let closed = false;
    const original = store.close.bind(store);
    store.close = async () => {
      closed = true;
      await original();
    };
    await moduleRef.close();
    expect(closed).toBe(true);
  });
});
