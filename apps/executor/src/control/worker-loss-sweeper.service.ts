import { type ExecutionResult, LOG_STREAMS } from '@attune/contracts';
import { ActionRepository, type ExecutionEntity, ExecutionLogReader, ExecutionRepository, WorkerRepository } from '@attune/persistence';
import { type Logger, ROOT_LOGGER } from '@attune/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { ExecutorConfig } from '../config/executor.config';
import { ExecutionScheduler } from '../scheduling/execution-scheduler.service';
import { ExecutionEndings } from '../workflows/execution-endings';

const handled = new Counter({
  name: 'attune_executions_worker_lost_total',
  help: 'Executions whose worker was lost mid-run, by outcome',
  labelNames: ['outcome'],
});
const BATCH = 100;

/**
 * Decides which workers are gone, once for the whole platform: a worker silent for
 * ATTUNE_EXECUTOR_WORKER_LOST_AFTER_MS is written `stale` in the `workers` table (which
 * GET /api/v1/workers serves as it is, and routing never picks). Then it finds executions left
 * `running` or `canceling` on a stale, offline or unknown worker and applies their action's policy (docs/architecture.md, "Worker loss"):
 * - `canceling` → `cancelled` (the user wanted it stopped; it is);
 * - `retry` → back to `requested` as the next attempt and scheduled again, while attempts remain;
 * - otherwise → `abandoned`.
 * Every write is guarded on status and attempt, so several executors sweeping at once, or a
 * late report from the lost worker, change nothing twice.
 */
@Injectable()
export class WorkerLossSweeper {
  constructor(
    private readonly executions: ExecutionRepository,
    private readonly actions: ActionRepository,
    private readonly logs: ExecutionLogReader,
    private readonly workers: WorkerRepository,
    private readonly scheduler: ExecutionScheduler,
    private readonly config: ExecutorConfig,
    private readonly endings: ExecutionEndings,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  /** One pass (every ATTUNE_EXECUTOR_SWEEP_INTERVAL_MS, PeriodicJobs): answers how many executions it handled. */
  async sweep(): Promise<number> {
    const stale = await this.workers.markStale(this.config.amqpNamespace, this.config.workerLostAfterMs);
    if (stale.length) this.logger.warn({ workers: stale, silent_ms: this.config.workerLostAfterMs }, 'workers stopped sending heartbeats: stale');
    const lost = await this.executions.findOnLostWorkers(this.config.workerLostAfterMs, BATCH);
    for (const execution of lost) await this.handle(execution);
    return lost.length;
  }

  /**
   * The logs a lost worker left: whatever its live chunks carried, readable and marked
   * incomplete (or whole, when it stored them before it was lost).
   */
  private async logsLeft(e: ExecutionEntity): Promise<Partial<ExecutionResult>> {
    const found: Partial<ExecutionResult> = {};
    for (const stream of LOG_STREAMS) {
      const row = await this.logs.findStream(e.id, stream);
      if (!row || row.attempt !== e.attempt) continue;
      found[`${stream}_log`] = `/api/v1/executions/${e.id}/logs/${stream}`;
      if (row.state === 'closed' && row.totalBytes !== null && row.sha256 !== null) {
        found[`${stream}_log_bytes`] = row.totalBytes;
        found[`${stream}_log_sha256`] = row.sha256;
      } else {
        found[`${stream}_log_incomplete`] = true;
      }
    }
    return found;
  }

  private async handle(e: ExecutionEntity): Promise<void> {
    const log = this.logger.child({ execution_id: e.id, worker: e.worker, attempt: e.attempt });
    const silentFor = `${Math.round(this.config.workerLostAfterMs / 1000)}s`;
    // Only the ended ones need their logs looked up; a retried one starts its logs over.
    const base = async (): Promise<ExecutionResult> => ({ exit_code: null, succeeded: false, duration_ms: 0, stdout: '', stdout_truncated: false, ...(await this.logsLeft(e)) });
    if (e.status === 'canceling') {
      const done = await this.executions.transition(e.id, 'cancelled', {
        attempt: e.attempt,
        finishedAt: new Date(),
        result: { ...(await base()), cancelled: true, error: `Cancelled; worker ${e.worker} was lost (no heartbeat for ${silentFor})` },
      });
      await this.endings.ended(done);
      if (done) {
        handled.inc({ outcome: 'cancelled' });
        log.warn('worker lost while canceling: cancelled');
      }
      return;
    }
    const action = e.action !== null ? await this.actions.findById(e.action) : null;
    if (action?.onWorkerLost === 'retry' && e.attempt < this.config.maxDispatchAttempts) {
      const requeued = await this.executions.requeueForRetry(e.id, e.attempt);
      if (!requeued) return;
      handled.inc({ outcome: 'retried' });
      log.warn({ next_attempt: requeued.attempt }, 'worker lost: dispatching again (policy retry)');
      await this.scheduler.schedule(e.id);
      return;
    }
    const why = action?.onWorkerLost === 'retry' ? `after ${e.attempt} attempts` : 'policy abandon';
    const done = await this.executions.transition(e.id, 'abandoned', {
      attempt: e.attempt,
      finishedAt: new Date(),
      result: { ...(await base()), error: `Worker ${e.worker ?? '(unknown)'} was lost (no heartbeat for ${silentFor}); abandoned (${why})` },
    });
    await this.endings.ended(done);
    if (done) {
      handled.inc({ outcome: 'abandoned' });
      log.warn({ why }, 'worker lost: abandoned');
    }
  }
}
