import {
  type ExecutionCleanupItemV1,
  type ExecutionCleanupReportV1,
  type ExecutionLogsPurgeReportV1,
  type ExecutionLogsPurgeV1,
  type ExecutionStatus,
  MessageTypes,
  RETENTION_MAX_ITEMS,
  TERMINAL_STATUSES,
} from '@attune/contracts';
import { MessagePublisher } from '@attune/messaging';
import { type ExpiredExecution, type RetentionRule, RunRetentionRepository } from '@attune/persistence';
import { type Logger, ROOT_LOGGER } from '@attune/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { ExecutorConfig, retentionMs } from '../config/executor.config';

/** How long artifact-store may take to purge one batch of logs. */
const PURGE_TIMEOUT_MS = 60_000;

export const retentionDeleted = new Counter({
  name: 'attune_retention_deleted_total',
  help: 'Rows deleted by run retention (sweep and POST /executions/cleanup), by kind',
  labelNames: ['kind'],
});

const lastRun = new Gauge({ name: 'attune_retention_last_success_timestamp_seconds', help: 'When the run retention sweep last completed' });

/**
 * Deletes old executions with their logs, in batches. Executions belong to the executor and
 * their logs to artifact-store, so each batch is two steps, each by its owner: artifact-store
 * purges the logs of the batch (request/reply), then the executor deletes those whose logs are
 * gone. Both steps check the same rule (RunRetentionRepository), so a dry run, which counts
 * that rule, reports what a real run at the same cutoff deletes.
 */
@Injectable()
export class RunRetention {
  constructor(
    private readonly retention: RunRetentionRepository,
    private readonly publisher: MessagePublisher,
    private readonly config: ExecutorConfig,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * The sweep (every ATTUNE_RETENTION_INTERVAL_MS): applies ATTUNE_RETENTION_EXECUTIONS,
   * _ENFORCEMENTS and _EVENTS in that order: an enforcement goes only once its executions are
   * gone, an event once its enforcements are. Every executor runs it; two at once only find each
   * other's rows already deleted. Timer ticks are pruned by the timer scheduler
   * (ATTUNE_RETENTION_TIMER_TICKS).
   */
  async sweep(): Promise<{ executions: number; enforcements: number; events: number }> {
    const executionsMs = retentionMs(this.config.retentionExecutions);
    const enforcementsMs = retentionMs(this.config.retentionEnforcements);
    const eventsMs = retentionMs(this.config.retentionEvents);
    const out = { executions: 0, enforcements: 0, events: 0 };
    if (executionsMs !== null) out.executions = (await this.cleanExecutions(executionsMs, this.config.retentionExecutions)).deleted_executions;
    if (enforcementsMs !== null) out.enforcements = await this.cleanEnforcements(enforcementsMs);
    if (eventsMs !== null) out.events = await this.cleanEvents(eventsMs);
    lastRun.setToCurrentTime();
    if (out.enforcements || out.events) this.logger.info(out, 'run retention sweep');
    return out;
  }

  async cleanExecutions(olderThanMs: number, olderThan: string, opts: { statuses?: ExecutionStatus[]; dryRun?: boolean; now?: Date } = {}): Promise<ExecutionCleanupReportV1> {
    const cutoff = new Date((opts.now ?? new Date()).getTime() - olderThanMs);
    const rule: RetentionRule = { cutoff, statuses: opts.statuses?.length ? opts.statuses : TERMINAL_STATUSES };
    const report: ExecutionCleanupReportV1 = {
      dry_run: !!opts.dryRun,
      older_than: olderThan,
      cutoff: cutoff.toISOString(),
      deleted_executions: 0,
      deleted_log_artifacts: 0,
      items: [],
      items_truncated: false,
    };
    if (opts.dryRun) {
      const counts = await this.retention.countExpired(rule);
      const first = await this.retention.findExpired(rule, RETENTION_MAX_ITEMS);
      report.deleted_executions = counts.executions;
      report.deleted_log_artifacts = counts.logArtifacts;
      report.items = first.map(item);
      report.items_truncated = counts.executions > report.items.length;
      return report;
    }
    const batchSize = this.config.retentionBatchSize;
    let after: { created: string; id: number } | undefined;
    for (;;) {
      const batch = await this.retention.findExpired(rule, batchSize, after);
      if (!batch.length) break;
      const last = batch[batch.length - 1];
      after = { created: last.createdKey, id: last.id };
      const purge: ExecutionLogsPurgeV1 = { execution_ids: batch.map((e) => e.id), cutoff: cutoff.toISOString(), statuses: rule.statuses as ExecutionStatus[] };
      const purged = await this.publisher.request<ExecutionLogsPurgeReportV1>(MessageTypes.ArtifactExecutionLogsPurge, purge, { timeoutMs: PURGE_TIMEOUT_MS });
      const deleted = new Set(await this.retention.deleteExecutions(purged.purged, rule));
      report.deleted_executions += deleted.size;
      report.deleted_log_artifacts += purged.deleted_log_artifacts;
      retentionDeleted.inc({ kind: 'executions' }, deleted.size);
      for (const e of batch) {
        if (!deleted.has(e.id)) continue;
        if (report.items.length < RETENTION_MAX_ITEMS) report.items.push(item(e));
        else report.items_truncated = true;
      }
      if (batch.length < batchSize) break;
    }
    if (report.deleted_executions) this.logger.info({ deleted: report.deleted_executions, logs: report.deleted_log_artifacts, cutoff: report.cutoff }, 'old executions deleted');
    return report;
  }

  /** Resolved enforcements older than `olderThanMs` that no execution references any more. */
  async cleanEnforcements(olderThanMs: number): Promise<number> {
    return this.inBatches('enforcements', (limit) => this.retention.deleteEnforcements(new Date(Date.now() - olderThanMs), limit));
  }

  /** Processed events older than `olderThanMs` that no enforcement or timer tick references. */
  async cleanEvents(olderThanMs: number): Promise<number> {
    return this.inBatches('events', (limit) => this.retention.deleteEvents(new Date(Date.now() - olderThanMs), limit));
  }

  private async inBatches(kind: string, deleteBatch: (limit: number) => Promise<number>): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await deleteBatch(this.config.retentionBatchSize);
      total += n;
      retentionDeleted.inc({ kind }, n);
      if (n < this.config.retentionBatchSize) return total;
    }
  }
}

function item(e: ExpiredExecution): ExecutionCleanupItemV1 {
  return { id: e.id, action_ref: e.actionRef, status: e.status, created: new Date(e.created).toISOString() };
}
