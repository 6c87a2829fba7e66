import { ExecutionLogRepository } from '@attune/persistence';
import { type Logger, PeriodicSweeper, ROOT_LOGGER } from '@attune/service-kit';
import { BLOB_STORE, type BlobStore } from '@attune/storage';
import { Inject, Injectable } from '@nestjs/common';
import { ArtifactStoreConfig } from '../config/artifact-store.config';

const INTERVAL_MS = 15_000;
const BATCH = 500;

/**
 * Removes the live chunks of logs that are stored whole, once a grace period has passed since
 * (a read that began on the chunks finishes on them).
 */
@Injectable()
export class LogChunkSweeper extends PeriodicSweeper {
  protected readonly sweepName = 'log chunk sweep';

  constructor(
    private readonly logs: ExecutionLogRepository,
    private readonly config: ArtifactStoreConfig,
    @Inject(BLOB_STORE) private readonly store: BlobStore,
    @Inject(ROOT_LOGGER) protected readonly logger: Logger,
  ) {
    super();
  }

  protected intervalMs(): number {
    return INTERVAL_MS;
  }

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
