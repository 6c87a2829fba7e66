import { type Logger, PeriodicJobList, ROOT_LOGGER } from '@attune/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { ArtifactStoreConfig } from './config/artifact-store.config';
import { BlobScrubber } from './integrity/blob-scrubber.service';
import { LOG_CHUNK_SWEEP_INTERVAL_MS, LogChunkSweeper } from './logs/log-chunk-sweeper.service';
import { RetentionSweeper } from './retention/retention-sweeper.service';

/**
 * Everything artifact-store does on a timer rather than on a message, each paced by its own
 * setting. Each job runs one pass at a time, logs a failed pass and tries again at the next
 * tick, and shutdown waits for a pass in progress (PeriodicJob).
 */
@Injectable()
export class PeriodicJobs extends PeriodicJobList {
  constructor(
    config: ArtifactStoreConfig,
    @Inject(ROOT_LOGGER) logger: Logger,
    retention: RetentionSweeper,
    logChunks: LogChunkSweeper,
    scrubber: BlobScrubber,
  ) {
    super(logger, [
      { name: 'retention sweep', everyMs: config.sweepIntervalMs, run: () => retention.sweepOnce() },
      { name: 'log chunk sweep', everyMs: LOG_CHUNK_SWEEP_INTERVAL_MS, run: () => logChunks.sweep() },
      // ATTUNE_BLOB_SCRUB_INTERVAL_MS=0 turns the scrub off.
      ...(config.scrubIntervalMs > 0 ? [{ name: 'blob integrity scrub', everyMs: config.scrubIntervalMs, run: () => scrubber.sweep() }] : []),
    ]);
  }
}
