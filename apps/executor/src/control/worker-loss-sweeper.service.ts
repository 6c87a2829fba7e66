import { type ExecutionResult, LOG_STREAMS } from '@attune/contracts';
import { ActionRepository, type ExecutionEntity, ExecutionLogRepository, ExecutionRepository } from '@attune/persistence';
import { type Logger, PeriodicSweeper, ROOT_LOGGER } from '@attune/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { ExecutorConfig } from '../config/executor.config';
import { ExecutionScheduler } from '../scheduling/execution-scheduler.service';

const handled = new Counter({
  name: 'attune_executions_worker_lost_total',
  help: 'Executions whose worker was lost mid-run, by outcome',
  labelNames: ['outcome'],
});
const BATCH = 100;

/**
 * Finds executions left `running` or `canceling` on a worker that stopped sending heartbeats
 * and applies their action's policy (docs/architecture.md, "Worker loss"):
 * - `canceling` → `cancelled` (the user wanted it stopped; it is);
 * - `retry` → back to `requested` as the next attempt and scheduled again, while attempts remain;
 * - otherwise → `abandoned`.
 * Every write is guarded on status and attempt, so several executors sweeping at once, or a
 * late report from the lost worker, change nothing twice.
 */
@Injectable()
export class WorkerLossSweeper extends PeriodicSweeper {
  protected readonly sweepName = 'worker-loss sweep';

  constructor(
    private readonly executions: ExecutionRepository,
    private readonly actions: ActionRepository,
    private readonly logs: ExecutionLogRepository,
    private readonly scheduler: ExecutionScheduler,
    private readonly config: ExecutorConfig,
    @Inject(ROOT_LOGGER) protected readonly logger: Logger,
  ) {
    super();
  }

  protected intervalMs(): number {
    return this.config.sweepIntervalMs;
  }

  async sweep(): Promise<number> {
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
    if (done) {
      handled.inc({ outcome: 'abandoned' });
      log.warn({ why }, 'worker lost: abandoned');
    }
  }
}
