import { stagingKeyCreatedAt, STAGING_PREFIX } from '@attune/contracts';
import { ArtifactRepository } from '@attune/persistence';
import { type Logger, ROOT_LOGGER } from '@attune/service-kit';
import { BLOB_STORE, type BlobStore, contentAddressedKey } from '@attune/storage';
import { Inject, Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';

/** Content-addressed blobs live here; nothing outside `blobs/` and `staging/` is ever collected. */
export const BLOBS_PREFIX = 'blobs/';
const BATCH = 500;

const collected = new Counter({ name: 'attune_artifact_blobs_collected_total', help: 'Unreferenced blobs deleted from the bucket' });
const stagingDeleted = new Counter({ name: 'attune_artifact_staging_deleted_total', help: 'Abandoned staging objects deleted' });

export interface CollectionReport {
  blobs: number;
  staging: number;
  orphans: number;
}

/**
 * Deletes bytes nothing refers to: blobs no version references (and objects under `blobs/` that
 * have no row at all, left by a commit that failed after storing them) and abandoned staging
 * uploads. Every blob deletion goes through ArtifactRepository.collectBlob, which holds the blob
 * row's lock while the object is deleted, so a commit that is about to reference the same
 * content either waits and stores it again, or has committed and keeps it.
 */
@Injectable()
export class BlobCollector {
  constructor(
    private readonly artifacts: ArtifactRepository,
    @Inject(BLOB_STORE) private readonly store: BlobStore,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  /** Collects the given blobs if nothing references them any more; answers how many went. */
  async collect(sha256s: Iterable<string>): Promise<number> {
    let n = 0;
    for (const sha256 of new Set(sha256s)) {
      if (await this.collectOne(sha256, 0)) n++;
    }
    return n;
  }

  /** Every blob row without a version. */
  async collectUnreferenced(): Promise<number> {
    let total = 0;
    for (;;) {
      const batch = await this.artifacts.findUnreferencedBlobs(BATCH);
      let n = 0;
      for (const b of batch) if (await this.collectOne(b.sha256, b.sizeBytes)) n++;
      total += n;
      // A batch where nothing could go (all re-referenced meanwhile) would come back forever.
      if (batch.length < BATCH || n === 0) return total;
    }
  }

  /** Staging objects whose upload started more than ttlMs ago. Keys it cannot date are left alone. */
  async collectStaging(ttlMs: number, now = Date.now()): Promise<number> {
    let n = 0;
    for await (const item of this.store.list(STAGING_PREFIX)) {
      const created = stagingKeyCreatedAt(item.key);
      if (created === undefined || now - created < ttlMs) continue;
      await this.store.delete(item.key);
      stagingDeleted.inc();
      this.logger.info({ key: item.key, size_bytes: item.size }, 'deleted an abandoned staging upload');
      n++;
    }
    return n;
  }

  /** Objects under `blobs/` that have no blob row: collected through the same locked path. */
  async collectOrphans(): Promise<number> {
    let n = 0;
    let batch: { sha256: string; size: number }[] = [];
    const flush = async () => {
      const known = await this.artifacts.knownBlobs(batch.map((b) => b.sha256));
      for (const b of batch) if (!known.has(b.sha256) && (await this.collectOne(b.sha256, b.size))) n++;
      batch = [];
    };
    for await (const item of this.store.list(BLOBS_PREFIX)) {
      const sha256 = item.key.slice(item.key.lastIndexOf('/') + 1);
      // Only keys this service writes: anything else under blobs/ is not ours to judge.
      if (!/^[0-9a-f]{64}$/.test(sha256) || contentAddressedKey(sha256) !== item.key) continue;
      batch.push({ sha256, size: item.size });
      if (batch.length >= BATCH) await flush();
    }
    if (batch.length) await flush();
    return n;
  }

  private async collectOne(sha256: string, sizeBytes: number): Promise<boolean> {
    const key = contentAddressedKey(sha256);
    try {
      const done = await this.artifacts.collectBlob(sha256, sizeBytes, () => this.store.delete(key));
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
