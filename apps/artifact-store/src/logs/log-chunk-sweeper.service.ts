import { ExecutionLogRepository } from '@attune/persistence';
import { BLOB_STORE, type BlobStore } from '@attune/storage';
import { Inject, Injectable } from '@nestjs/common';
import { ArtifactStoreConfig } from '../config/artifact-store.config';

/** How often the sweep runs (PeriodicJobs). */
export const LOG_CHUNK_SWEEP_INTERVAL_MS = 15_000;
const BATCH = 500;

/**
 * Removes the live chunks of logs that are stored whole, once a grace period has passed since
 * (a read that began on the chunks finishes on them).
 */
@Injectable()
export class LogChunkSweeper {
  constructor(
    private readonly logs: ExecutionLogRepository,
    private readonly config: ArtifactStoreConfig,
    @Inject(BLOB_STORE) private readonly store: BlobStore,
  ) {}

  async sweep(): Promise<number> {
    let removed = 0;
    for (;;) {
      const keys = await this.logs.purgeStoredChunks(this.config.logChunkGraceMs, BATCH);
      // Rows first, then objects: an object left by a failed delete is only garbage, never a dangling row.
      await Promise.all(keys.map((k) => this.store.delete(k)));
      removed += keys.length;
      if (keys.length < BATCH) return removed;
    }
  }
}
