import type { ExecutionClaimReplyV1, ExecutionClaimV1, ExecutionFinishedV1, ExecutionStartedV1 } from '@attune/contracts';
import { ExecutionCanceller } from '../control/execution-canceller.service';
import { ExecutionEndings } from '../workflows/execution-endings';
import { type ExecutionEntity, ExecutionRepository } from '@attune/persistence';
import { type Logger, ROOT_LOGGER } from '@attune/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { Counter, Histogram } from 'prom-client';

const finished = new Counter({ name: 'attune_executions_finished_total', help: 'Executions that reached a terminal status', labelNames: ['status'] });
const duration = new Histogram({
  name: 'attune_execution_duration_seconds',
  help: 'Process run time reported by workers',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
});

/** Records what workers report. Every write is a guarded transition, so duplicates are no-ops. */
@Injectable()
export class ExecutionRecorder {
  constructor(
    private readonly executions: ExecutionRepository,
    private readonly canceller: ExecutionCanceller,
    private readonly endings: ExecutionEndings,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  /** A start report, from a worker of an earlier version (workers now claim every dispatch instead). */
  async started(msg: ExecutionStartedV1): Promise<void> {
    const updated = await this.executions.transition(msg.execution_id, 'running', {
      attempt: msg.attempt,
      worker: msg.worker,
      startedAt: new Date(msg.started_at),
    });
    if (updated) return;
    const current = await this.executions.findById(msg.execution_id);
    if (current && (current.status === 'cancelled' || current.status === 'canceling')) {
      // A worker started something already cancelled (its dispatch was queued): stop it again.
      this.logger.info({ execution_id: msg.execution_id, worker: msg.worker }, 'a cancelled execution was started; telling workers again');
      await this.canceller.tellWorkers(msg.execution_id);
      return;
    }
    this.logger.debug({ execution_id: msg.execution_id, status: current?.status }, 'start report ignored');
  }

  /**
   * A worker's claim on a dispatch, before it runs it: granted when the execution still waits on
   * the claimed attempt, by the same guarded transition a start report makes, so of every copy of
   * a dispatch at most one runs. A refused worker drops its copy; an execution already running
   * elsewhere is the worker-loss policy's if that worker is gone. The very claim granted before
   * (same worker, attempt and start time) is granted again, since its asker never saw the answer.
   */
  async claim(msg: ExecutionClaimV1): Promise<ExecutionClaimReplyV1> {
    const updated = await this.executions.transition(msg.execution_id, 'running', {
      attempt: msg.attempt,
      worker: msg.worker,
      startedAt: new Date(msg.started_at),
    });
    if (updated) return { granted: true };
    const current = await this.executions.findById(msg.execution_id);
    if (current && isSameClaim(current, msg)) {
      // The worker asks again because it never saw the grant (a reply lost in a broker restart).
      this.logger.info({ execution_id: msg.execution_id, worker: msg.worker, attempt: msg.attempt }, 'claim granted again to the worker it was granted to');
      return { granted: true };
    }
    this.logger.info({ execution_id: msg.execution_id, worker: msg.worker, attempt: msg.attempt, status: current?.status, current_attempt: current?.attempt },
      'claim refused');
    return { granted: false, status: current?.status ?? 'unknown' };
  }

  async finished(msg: ExecutionFinishedV1): Promise<void> {
    const updated = await this.executions.transition(msg.execution_id, msg.status, {
      attempt: msg.attempt,
      worker: msg.worker,
      result: msg.result,
      startedAt: new Date(msg.started_at),
      finishedAt: new Date(msg.finished_at),
    });
    const log = this.logger.child({ execution_id: msg.execution_id });
    if (!updated) {
      log.info({ status: msg.status }, 'result ignored: execution is already terminal');
      // A repeated report (a crash before the ack): what followed the first may not have happened.
      await this.endings.ended(await this.executions.findById(msg.execution_id));
      return;
    }
    await this.endings.ended(updated);
    finished.inc({ status: msg.status });
    duration.observe(msg.result.duration_ms / 1000);
    log.info({ status: msg.status, exit_code: msg.result.exit_code, duration_ms: msg.result.duration_ms }, 'execution finished');
  }
}

/** Whether the execution is running under exactly this claim: a claim asked again, not a copy. */
function isSameClaim(current: ExecutionEntity, msg: ExecutionClaimV1): boolean {
  return (
    current.status === 'running' &&
    current.attempt === (msg.attempt ?? 1) &&
    current.worker === msg.worker &&
    current.startedAt?.getTime() === Date.parse(msg.started_at)
  );
}
