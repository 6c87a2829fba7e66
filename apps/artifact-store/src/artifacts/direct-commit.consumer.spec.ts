import { type ArtifactDirectCommitV1, DomainError } from '@attune/contracts';
import type { Logger } from '@attune/service-kit';
import type { BlobStore, VerifiedHead } from '@attune/storage';
import { describe, expect, it, jest } from '@jest/globals';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { DirectCommitConsumer, pinnedKeyOf } from './direct-commit.consumer';
import type { VersionCommitter } from './version-committer.service';

const content = Buffer.from('the uploaded bytes\n');
const SHA = createHash('sha256').update(content).digest('hex');
const STAGED = 'blobs/u/1765000000000-abc';
const cmd: ArtifactDirectCommitV1 = { artifact_id: 7, staged_key: STAGED, size_bytes: content.length, sha256: SHA, content_type: 'text/plain', execution: null, created_by: 'op' };
const logger = { info: () => undefined, warn: () => undefined, error: () => undefined } as unknown as Logger;

/** A bucket holding `objects`; `checksums` says whether it reports the SHA-256 it checked (S3, MinIO) or none (s3rver). */
function setup(objects: Map<string, Buffer>, checksums: boolean) {
  const deleted: string[] = [];
  const copies: Array<[string, string]> = [];
  const store = {
    driver: 's3',
    direct: {
      verifiedHead: async (key: string): Promise<VerifiedHead | null> => {
        const body = objects.get(key);
        if (!body) return null;
        return { size: body.length, ...(checksums ? { sha256: createHash('sha256').update(body).digest('hex') } : {}) };
      },
    },
    exists: async (key: string) => objects.has(key),
    copy: async (from: string, to: string) => {
      copies.push([from, to]);
      objects.set(to, Buffer.from(objects.get(from) as Buffer));
    },
    get: async (key: string) => Readable.from([objects.get(key) as Buffer]),
    delete: async (key: string) => {
      deleted.push(key);
      objects.delete(key);
    },
  } as unknown as BlobStore;
  const commitVersion = jest.fn(async (_artifact: number, key: string, ..._rest: unknown[]) => {
    if (!objects.has(key)) throw new DomainError('NOT_FOUND', `upload ${key} not found`);
    return { version: { version: 1 }, artifact: {}, released: [], adopted: true } as never;
  });
  const consumer = new DirectCommitConsumer({ commitVersion } as unknown as VersionCommitter, store, logger);
  return { consumer, commitVersion, deleted, copies };
}

describe('DirectCommitConsumer', () => {
  it('commits in place what a store that checks digests reports with the announced size and SHA-256', async () => {
    const { consumer, commitVersion, copies } = setup(new Map([[STAGED, content]]), true);
    await consumer.commitDirect(cmd);
    expect(commitVersion).toHaveBeenCalledWith(7, STAGED, content.length, SHA, expect.objectContaining({ contentType: 'text/plain' }));
    expect(copies).toEqual([]);
  });

  it.each([
    ['a wrong size', Buffer.concat([content, Buffer.from('!')]), /holds 20 bytes, not the 19/],
    ['a wrong digest', Buffer.from('the uploaded bytez\n'), /hashes to [0-9a-f]{64}, not the sha256/],
  ])('refuses %s on a store that checks digests: 422, the object deleted, no commit', async (_what, body, message) => {
    const { consumer, commitVersion, deleted } = setup(new Map([[STAGED, body]]), true);
    const err = (await consumer.commitDirect(cmd).catch((e: unknown) => e)) as DomainError;
    expect(err).toMatchObject({ code: 'VALIDATION_ERROR', message: expect.stringMatching(message) });
    expect(commitVersion).not.toHaveBeenCalled();
    expect(deleted).toEqual([STAGED]);
  });

  it('on a store that keeps no checksum, commits a pinned copy it hashed, and deletes the upload', async () => {
    const objects = new Map([[STAGED, content]]);
    const { consumer, commitVersion, copies, deleted } = setup(objects, false);
    await consumer.commitDirect(cmd);
    expect(copies).toEqual([[STAGED, pinnedKeyOf(STAGED)]]);
    expect(commitVersion).toHaveBeenCalledWith(7, pinnedKeyOf(STAGED), content.length, SHA, expect.anything());
    expect(deleted).toEqual([STAGED]);
  });

  it('on a store that keeps no checksum, refuses a copy that does not hash right, deleting both', async () => {
    const objects = new Map([[STAGED, Buffer.from('the uploaded bytez\n')]]);
    const { consumer, commitVersion, deleted } = setup(objects, false);
    await expect(consumer.commitDirect(cmd)).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    expect(commitVersion).not.toHaveBeenCalled();
    expect(deleted.sort()).toEqual([STAGED, pinnedKeyOf(STAGED)].sort());
    expect(objects.size).toBe(0);
  });

  it('answers 409 when nothing was uploaded, and the version made before when the commit comes again', async () => {
    const empty = setup(new Map(), true);
    await expect(empty.consumer.commitDirect(cmd)).rejects.toMatchObject({ code: 'CONFLICT', details: { reason: 'UPLOAD_MISSING' } });
    // Committed before on a store without checksums: the upload is gone, its pinned copy is the blob.
    const again = setup(new Map([[pinnedKeyOf(STAGED), content]]), false);
    await expect(again.consumer.commitDirect(cmd)).resolves.toMatchObject({ version: { version: 1 } });
    expect(again.commitVersion).toHaveBeenCalledWith(7, pinnedKeyOf(STAGED), content.length, SHA, expect.anything());
  });

  it('refuses when the store has no direct transfers (fs)', async () => {
    const consumer = new DirectCommitConsumer({} as VersionCommitter, { driver: 'fs' } as BlobStore, logger);
    await expect(consumer.commitDirect(cmd)).rejects.toMatchObject({ code: 'CONFLICT' });
  });
});
