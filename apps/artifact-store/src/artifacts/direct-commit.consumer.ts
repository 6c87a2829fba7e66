import { type ArtifactDirectCommitV1, type ArtifactVersionRecordV1, DomainError, MessageTypes } from '@attune/contracts';
import { type CommitOutcome, toVersionRecord } from '@attune/persistence';
import { type Logger, ROOT_LOGGER } from '@attune/service-kit';
import { BLOB_STORE, type BlobStore, ChecksumMismatchError, HashingCounter, SizeMismatchError } from '@attune/storage';
import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Counter } from 'prom-client';
import { VersionCommitter } from './version-committer.service';

const refused = new Counter({
  name: 'attune_artifact_direct_commits_refused_total',
  help: 'Direct uploads refused at commit (missing object, wrong size or checksum)',
  labelNames: ['reason'],
});

/** Where a direct upload is copied to before it is hashed, on stores that do not check the digest themselves. */
export function pinnedKeyOf(stagedKey: string): string {
  return `${stagedKey}-pinned`;
}

/**
 * Commits direct uploads: objects a client PUT into the bucket through a presigned URL, so no
 * service has seen their bytes. Before the version exists the object must hold exactly the size
 * and SHA-256 announced when the URL was issued:
 *
 * - where the store checked the digest itself (S3 and MinIO verify x-amz-checksum-sha256 on the
 *   PUT and report it on a HEAD), the HEAD decides and the object is adopted in place; the
 *   presigned URL can only ever write those same bytes again;
 * - where it did not (s3rver), the object is copied inside the bucket to a key no client can
 *   write, the copy is hashed here, and the copy becomes the version's blob: a client re-using
 *   its URL cannot change what was verified.
 *
 * A missing object is a CONFLICT (409: PUT first), a wrong size or digest a VALIDATION_ERROR
 * (422); either way nothing is committed and what was uploaded is deleted.
 */
@Controller()
export class DirectCommitConsumer {
  constructor(
    private readonly committer: VersionCommitter,
    @Inject(BLOB_STORE) private readonly store: BlobStore,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern<string>(MessageTypes.ArtifactDirectCommit)
  async commit(@Payload() cmd: ArtifactDirectCommitV1): Promise<ArtifactVersionRecordV1> {
    return toVersionRecord((await this.commitDirect(cmd)).version);
  }

  async commitDirect(cmd: ArtifactDirectCommitV1): Promise<CommitOutcome> {
    const direct = this.store.direct;
    if (!direct) throw new DomainError('CONFLICT', 'this storage takes no direct uploads; use POST /api/v1/artifacts/{id}/versions/upload');
    if (cmd.encoding) throw new DomainError('BAD_REQUEST', 'a direct upload is never stored compressed');
    const staged = cmd.staged_key;
    const pinned = pinnedKeyOf(staged);
    const commit = (key: string) =>
      this.committer.commitVersion(cmd.artifact_id, key, cmd.size_bytes, cmd.sha256, {
        contentType: cmd.content_type,
        execution: cmd.execution,
        createdBy: cmd.created_by,
      });

    const head = await direct.verifiedHead(staged);
    if (!head) return this.committedBefore(cmd, commit);
    if (head.size !== cmd.size_bytes) {
      await this.refuse(cmd, 'size', [staged]);
      throw new DomainError('VALIDATION_ERROR', `the uploaded object holds ${head.size} bytes, not the ${cmd.size_bytes} announced for it; nothing was committed`, [
        { field: 'size', message: `the object holds ${head.size} bytes` },
      ]);
    }
    if (head.sha256 !== undefined) {
      if (head.sha256 !== cmd.sha256) {
        await this.refuse(cmd, 'checksum', [staged]);
        throw checksumError(cmd.sha256, head.sha256);
      }
      return commit(staged);
    }

    // The store keeps no checksum: pin a copy nobody else can write, and hash it here.
    if (!(await this.store.exists(pinned))) await this.store.copy(staged, pinned);
    try {
      await this.hash(pinned, cmd.size_bytes, cmd.sha256);
    } catch (err) {
      if (err instanceof ChecksumMismatchError || err instanceof SizeMismatchError) {
        await this.refuse(cmd, err instanceof ChecksumMismatchError ? 'checksum' : 'size', [pinned, staged]);
        throw err instanceof ChecksumMismatchError
          ? checksumError(cmd.sha256, err.actualSha256)
          : new DomainError('VALIDATION_ERROR', `the uploaded object does not hold the ${cmd.size_bytes} bytes announced for it; nothing was committed`);
      }
      throw err;
    }
    const outcome = await commit(pinned);
    await this.store.delete(staged).catch((err: unknown) => this.logger.warn({ key: staged, err: (err as Error).message }, 'could not delete a direct upload after its commit; the sweep will'));
    return outcome;
  }

  /**
   * No object at the staged key: a commit delivered again after the first one adopted (or
   * pinned and deleted) it answers the version it made; otherwise nothing was uploaded.
   */
  private async committedBefore(cmd: ArtifactDirectCommitV1, commit: (key: string) => Promise<CommitOutcome>): Promise<CommitOutcome> {
    for (const key of [pinnedKeyOf(cmd.staged_key), cmd.staged_key]) {
      try {
        return await commit(key);
      } catch (err) {
        if (!(err instanceof DomainError) || err.code !== 'NOT_FOUND') throw err;
      }
    }
    refused.inc({ reason: 'missing' });
    throw new DomainError(
      'CONFLICT',
      'nothing was uploaded for this upload_id: PUT the file to its URL (before the URL expires), then commit; nothing was committed',
      { reason: 'UPLOAD_MISSING' },
    );
  }

  private async hash(key: string, size: number, sha256: string): Promise<void> {
    const hasher = new HashingCounter(key, { size, expectedSha256: sha256 });
    const sink = new Writable({ write: (_chunk, _enc, done) => done() });
    await pipeline(await this.store.get(key), hasher, sink);
    if (hasher.bytes !== size) throw new SizeMismatchError(key, size, hasher.bytes);
  }

  private async refuse(cmd: ArtifactDirectCommitV1, reason: 'size' | 'checksum', keys: string[]): Promise<void> {
    refused.inc({ reason });
    this.logger.warn({ artifact_id: cmd.artifact_id, key: cmd.staged_key, reason }, 'direct upload refused at commit');
    for (const key of keys) {
      await this.store.delete(key).catch((err: unknown) => this.logger.warn({ key, err: (err as Error).message }, 'could not delete a refused direct upload; the sweep will'));
    }
  }
}

function checksumError(expected: string, actual: string): DomainError {
  return new DomainError('VALIDATION_ERROR', `the uploaded object hashes to ${actual}, not the sha256 ${expected} announced for it; nothing was committed`, [
    { field: 'sha256', message: 'does not match the uploaded object' },
  ]);
}
