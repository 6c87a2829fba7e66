import { MessageTypes } from '@attune/contracts';
import { MessagePublisher } from '@attune/messaging';
import { type Artifact, ArtifactRepository, ArtifactVersionRepository, BlobRepository, ExecutionRepository } from '@attune/persistence';
import { BLOB_STORE, type BlobStore, S3BlobStore } from '@attune/storage';
import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Test } from '@nestjs/testing';
import type { Principal } from '../auth/auth.decorators';
import { ApiConfig } from '../config/api.config';
import { ArtifactsService } from './artifacts.service';
import { DirectTransfers } from './direct-transfers.service';

const operator: Principal = { kind: 'user', id: 2, login: 'op@x', roles: ['operator'] };
const other: Principal = { kind: 'user', id: 3, login: 'other@x', roles: ['operator'] };
const SHA = 'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9';

function artifact(over: Partial<Artifact> = {}): Artifact {
  return {
    id: 7, ref: 'r', type: 'file_text', scope: 'system', owner: '', name: null, description: null, contentType: 'text/plain', sizeBytes: 0,
    execution: null, workflowExecution: null, taskName: null, origin: 'user', retentionPolicy: null, retentionLimit: null, data: null, latestVersion: null, createdBy: null, created: new Date(), updated: new Date(),
    ...over,
  };
}

async function make(store: BlobStore, request = jest.fn(async (..._args: unknown[]) => ({ id: 1 }) as unknown)): Promise<DirectTransfers> {
  const moduleRef = await Test.createTestingModule({
    providers: [
      ArtifactsService,
      DirectTransfers,
      { provide: MessagePublisher, useValue: { request } },
      { provide: ArtifactRepository, useValue: { findById: async (id: number) => (id === 7 || id === 8 ? artifact({ id }) : null) } },
      { provide: ArtifactVersionRepository, useValue: {} },
      { provide: BlobRepository, useValue: {} },
      { provide: ExecutionRepository, useValue: {} },
      { provide: ApiConfig, useValue: Object.assign(new ApiConfig(), { artifactRequestTimeoutMs: 1000, artifactCommitTimeoutMs: 5000, artifactMaxUploadBytes: 1000 }) },
      { provide: BLOB_STORE, useValue: store },
    ],
  }).compile();
  return moduleRef.get(DirectTransfers);
}

describe('DirectTransfers', () => {
  let s3: S3BlobStore;
  let request: jest.Mock<(...args: unknown[]) => Promise<unknown>>;
  let direct: DirectTransfers;

  beforeEach(async () => {
    s3 = new S3BlobStore({ endpoint: 'http://127.0.0.1:9', region: 'us-east-1', bucket: 'b', accessKeyId: 'k', secretAccessKey: 's', presignTtlSeconds: 60 });
    request = jest.fn(async () => ({ id: 1, version: 1 }));
    direct = await make(s3, request);
  });

  it('hands out a presigned PUT of one upload key with the size, type and checksum signed, expiring within the TTL', async () => {
    const before = Date.now();
    const out = await direct.uploadUrl(operator, 7, { size: 11, sha256: SHA.toUpperCase(), expires_in: 600 });
    const url = new URL(out.url);
    expect(url.pathname).toMatch(/^\/b\/blobs\/u\/\d{13}-[0-9a-f-]{36}$/);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;content-type;host;x-amz-checksum-sha256');
    expect(out.headers).toEqual({ 'content-length': '11', 'content-type': 'text/plain', 'x-amz-checksum-sha256': 'uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=' });
    expect(Date.parse(out.expires_at)).toBeLessThanOrEqual(before + 61_000);
    expect(out.commit_url).toBe('/api/v1/artifacts/7/versions/commit');
  });

  it('commits through artifact-store with what the upload_id carries, not what the client says', async () => {
    const out = await direct.uploadUrl(operator, 7, { size: 11, sha256: SHA, content_type: 'text/csv' });
    await direct.commit(operator, 7, { upload_id: out.upload_id });
    const key = new URL(out.url).pathname.replace('/b/', '');
    expect(request).toHaveBeenCalledWith(
      MessageTypes.ArtifactDirectCommit,
      expect.objectContaining({ artifact_id: 7, staged_key: key, size_bytes: 11, sha256: SHA, content_type: 'text/csv', created_by: 'op@x' }),
      expect.anything(),
    );
  });

  it('refuses an altered upload_id, one of another artifact and one asked for by someone else', async () => {
    const { upload_id } = await direct.uploadUrl(operator, 7, { size: 11, sha256: SHA });
    const [body, mac] = upload_id.split('.');
    const altered = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), s: 12 })).toString('base64url');
    await expect(direct.commit(operator, 7, { upload_id: `${altered}.${mac}` })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    await expect(direct.commit(operator, 7, { upload_id: 'nonsense' })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    await expect(direct.commit(operator, 8, { upload_id })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    await expect(direct.commit(other, 7, { upload_id })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(request).not.toHaveBeenCalled();
  });

  it('refuses a size over the upload limit with 413', async () => {
    await expect(direct.uploadUrl(operator, 7, { size: 1001, sha256: SHA })).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });

  it('answers 409 naming the proxied upload when the store has no direct transfers (fs)', async () => {
    const fs = await make({ driver: 'fs' } as BlobStore);
    await expect(fs.uploadUrl(operator, 7, { size: 11, sha256: SHA })).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { reason: 'DIRECT_TRANSFER_UNAVAILABLE', upload: '/api/v1/artifacts/7/versions/upload' },
    });
  });
});
