import { STAGING_PREFIX, UPLOAD_PREFIX, uploadKeyCreatedAt } from '@attune/contracts';
import { BlobRepository } from '@attune/persistence';
import { type Logger, ROOT_LOGGER } from '@attune/service-kit';
import { BLOB_STORE, type BlobStore, contentAddressedKey } from '@attune/storage';
import { Inject, Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';

/**
 * Blobs stored at their content address (before uploads were adopted in place). Nothing outside
 * this prefix, the upload prefix and the old staging prefix is ever collected.
 */
export const CONTENT_ADDRESSED_PREFIX = 'blobs/sha256/';
const BATCH = 500;
/** How often the upload sweep lists every upload again rather than only the newer ones. */
export const FULL_UPLOAD_SWEEP_MS = 24 * 3600_000;

const collected = new Counter({ name: 'attune_artifact_blobs_collected_total', help: 'Unreferenced blobs deleted from the bucket' });
const stagingDeleted = new Counter({ name: 'attune_artifact_staging_deleted_total', help: 'Abandoned uploads deleted' });

export interface CollectionReport {
  blobs: number;
  staging: number;
  orphans: number;
}

/**
 * Deletes bytes nothing refers to: blobs no version references, abandoned uploads, and
 * content-addressed objects no blob row names (left by a commit of an earlier version that
 * failed after storing them). A blob is deleted through BlobRepository.collectBlob, which
 * holds the blob row's lock meanwhile, so a commit of the same content either waits and stores
 * it again, or has committed and keeps it; an upload through deleteUnadoptedUpload, under the
 * lock a commit of that upload takes.
 */
@Injectable()
export class BlobCollector {
  /** Upload keys dated before this were all settled by an earlier sweep of this process. */
  private uploadsSettledUpTo?: number;
  private lastFullUploadSweep = 0;

  constructor(
    private readonly blobs: BlobRepository,
    @Inject(BLOB_STORE) private readonly store: BlobStore,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  /** Collects the given blobs if nothing references them any more; answers how many went. */
  async collect(sha256s: Iterable<string>): Promise<number> {
    let n = 0;
    for (const sha256 of new Set(sha256s)) {
      if (await this.collectOne(sha256)) n++;
    }
    return n;
  }

  /** Every blob row without a version. */
  async collectUnreferenced(): Promise<number> {
    let total = 0;
    for (;;) {
      const batch = await this.blobs.findUnreferencedBlobs(BATCH);
      let n = 0;
      for (const b of batch) if (await this.collectOne(b.sha256)) n++;
      total += n;
      // A batch where nothing could go (all re-referenced meanwhile) would come back forever.
      if (batch.length < BATCH || n === 0) return total;
    }
  }

  /**
   * Uploads that started more than ttlMs ago and that no blob row names (never committed, or
   * redundant after a failed commit). Keys it cannot date are left alone.
   *
   * Committed content stays under the upload prefix, so it holds nearly every blob; upload keys
   * start with their time, so after one full pass a sweep lists only the keys dated after what
   * the previous pass settled (S3's StartAfter). A full pass runs again every
   * FULL_UPLOAD_SWEEP_MS, for uploads that took longer than the TTL to arrive.
   */
  async collectStaging(ttlMs: number, now = Date.now()): Promise<number> {
    const cutoff = now - ttlMs;
    const full = this.uploadsSettledUpTo === undefined || now - this.lastFullUploadSweep >= FULL_UPLOAD_SWEEP_MS;
    const since = full ? undefined : this.uploadsSettledUpTo;
    const uploads = await this.collectUploads(UPLOAD_PREFIX, cutoff, since);
    // Staging objects of earlier versions: a prefix that only shrinks.
    const staging = await this.collectUploads(STAGING_PREFIX, cutoff);
    if (uploads.complete) {
      this.uploadsSettledUpTo = cutoff;
      if (full) this.lastFullUploadSweep = now;
    }
    return uploads.deleted + staging.deleted;
  }

  /** Deletes the uploads under `prefix` dated before `cutoff` (and after `since`) that no blob row names. */
  private async collectUploads(prefix: string, cutoff: number, since?: number): Promise<{ deleted: number; complete: boolean }> {
    let deleted = 0;
    let complete = true;
    let batch: { key: string; size: number }[] = [];
    const flush = async () => {
      const adopted = await this.blobs.knownStorageKeys(batch.map((b) => b.key));
      for (const item of batch) {
        if (adopted.has(item.key)) continue;
        const done = await this.blobs
          .deleteUnadoptedUpload(item.key, () => this.store.delete(item.key))
          .catch((err: unknown) => {
            this.logger.warn({ key: item.key, err: (err as Error).message }, 'could not delete an abandoned upload; the next sweep tries again');
            complete = false;
            return false;
          });
        if (!done) continue;
        stagingDeleted.inc();
        this.logger.info({ key: item.key, size_bytes: item.size }, 'deleted an abandoned upload');
        deleted++;
      }
      batch = [];
    };
    for await (const item of this.store.list(prefix, since === undefined ? undefined : { startAfter: `${prefix}${since}` })) {
      const created = uploadKeyCreatedAt(item.key);
      if (created === undefined || created >= cutoff || (since !== undefined && created < since)) continue;
      batch.push({ key: item.key, size: item.size });
      if (batch.length >= BATCH) await flush();
    }
    if (batch.length) await flush();
    return { deleted, complete };
  }

  /**
   * Objects at a content address that no blob row names. Nothing writes there any more, so
   * nothing can be adopting them: they go at once.
   */
  async collectOrphans(): Promise<number> {
    let n = 0;
    let batch: string[] = [];
    const flush = async () => {
      const known = await this.blobs.knownStorageKeys(batch);
      for (const key of batch) {
        if (known.has(key)) continue;
        await this.store.delete(key);
        collected.inc();
        this.logger.info({ key }, 'collected an orphaned object');
        n++;
      }
      batch = [];
    };
    for await (const item of this.store.list(CONTENT_ADDRESSED_PREFIX)) {
      const sha256 = item.key.slice(item.key.lastIndexOf('/') + 1);
      // Only keys this service writes: anything else under blobs/ is not ours to judge.
      if (!/^[0-9a-f]{64}$/.test(sha256) || contentAddressedKey(sha256) !== item.key) continue;
      batch.push(item.key);
      if (batch.length >= BATCH) await flush();
    }
    if (batch.length) await flush();
    return n;
  }

  private async collectOne(sha256: string): Promise<boolean> {
    try {
      const done = await this.blobs.collectBlob(sha256, (key) => this.store.delete(key));
      if (done) {
        collected.inc();
        this.logger.info({ sha256 }, 'collected an unreferenced blob');
      }
      return done;
    } catch (err) {
      this.logger.warn({ sha256, err: (err as Error).message }, 'could not collect a blob; the next sweep tries again');
      return false;
    }
  }
}
