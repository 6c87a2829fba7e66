import { type ExecutionCancelV1, type ExecutionResult, isTerminal, MessageTypes } from '@attune/contracts';
import { MessagePublisher } from '@attune/messaging';
import { ExecutionRepository } from '@attune/persistence';
import { type Logger, ROOT_LOGGER } from '@attune/service-kit';
import { Inject, Injectable } from '@nestjs/common';

const NOT_STARTED = ['requested', 'scheduling', 'scheduled'];

export function cancelledBeforeStart(): ExecutionResult {
  return { exit_code: null, succeeded: false, duration_ms: 0, stdout: '', stdout_truncated: false, cancelled: true, error: 'Cancelled before it started' };
}

/**
 * Cancels executions. One that has not started is `cancelled` at once; one that runs becomes
 * `canceling` and every worker is told (a broadcast: the executor does not track which worker
 * holds which dispatch). The worker running it kills the process group and reports `cancelled`;
 * a worker that receives the dispatch later skips it.
 */
@Injectable()
export class ExecutionCanceller {
  constructor(
    private readonly executions: ExecutionRepository,
    private readonly publisher: MessagePublisher,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  async cancel(executionId: number): Promise<void> {
    const log = this.logger.child({ execution_id: executionId });
    // The status can move between the read and the guarded write (a worker starting it): retry.
    for (let i = 0; i < 5; i++) {
      const current = await this.executions.findById(executionId);
      if (!current || isTerminal(current.status)) return;
      if (NOT_STARTED.includes(current.status)) {
        const done = await this.executions.transition(executionId, 'cancelled', { finishedAt: new Date(), result: cancelledBeforeStart() });
        if (!done) continue;
        log.info('cancelled before it started');
        // A dispatch may already sit in a worker queue: make sure no worker runs it.
        return this.tellWorkers(executionId);
      }
      if (current.status === 'running') {
        if (!(await this.executions.transition(executionId, 'canceling'))) continue;
        log.info({ worker: current.worker }, 'canceling');
      }
      return this.tellWorkers(executionId);
    }
    log.warn('could not settle a status to cancel from; leaving it to the next request');
  }

  async tellWorkers(executionId: number): Promise<void> {
    const msg: ExecutionCancelV1 = { execution_id: executionId };
    await this.publisher.publish(MessageTypes.ExecutionCancel, msg, { correlationId: `execution:${executionId}` });
  }
}
