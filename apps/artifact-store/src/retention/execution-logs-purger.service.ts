import { type ExecutionLogsPurgeReportV1, type ExecutionLogsPurgeV1, DomainError } from '@attune/contracts';
import { RunRetentionRepository } from '@attune/persistence';
import { type Logger, ROOT_LOGGER } from '@attune/service-kit';
import { BLOB_STORE, type BlobStore } from '@attune/storage';
import { Inject, Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { BlobCollector } from './blob-collector.service';

const purgedLogs = new Counter({
  name: 'attune_retention_log_artifacts_deleted_total',
  help: 'Log artifacts deleted with the executions run retention removed',
});

/**
 * The artifact-store half of run retention: before the executor deletes old executions it asks
 * here for their logs to go (artifact-store owns log artifacts, versions, streams and chunks).
 * The retention rule is checked again in the same transaction that deletes, so a request that
 * arrives late never removes the log of an execution that is kept. Blobs released are collected
 * as after any delete; chunk objects are deleted after their rows (a failed delete leaves garbage,
 * never a dangling row).
 */
@Injectable()
export class ExecutionLogsPurger {
  constructor(
    private readonly retention: RunRetentionRepository,
    private readonly collector: BlobCollector,
    @Inject(BLOB_STORE) private readonly store: BlobStore,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  async purge(cmd: ExecutionLogsPurgeV1): Promise<ExecutionLogsPurgeReportV1> {
    const cutoff = new Date(cmd.cutoff);
    if (Number.isNaN(cutoff.getTime())) throw new DomainError('VALIDATION_ERROR', 'cutoff is not a date');
    const out = await this.retention.purgeLogs(cmd.execution_ids, { cutoff, statuses: cmd.statuses });
    await Promise.all(
      out.chunkKeys.map((k) => this.store.delete(k).catch((err) => this.logger.warn({ key: k, err: (err as Error).message }, 'could not delete a log chunk object'))),
    );
    if (out.released.length) await this.collector.collect(out.released);
    purgedLogs.inc(out.logArtifacts);
    return { purged: out.purged, deleted_log_artifacts: out.logArtifacts };
  }
}
