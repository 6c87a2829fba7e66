import { DomainError, type ExecutionCancelReplyV1, type ExecutionCancelV1, type ExecutionResult, isTerminal, MessageTypes } from '@attune/contracts';
import { MessagePublisher } from '@attune/messaging';
import { ExecutionRepository } from '@attune/persistence';
import { type Logger, ROOT_LOGGER } from '@attune/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { ExecutionEndings } from '../workflows/execution-endings';
import { WorkflowHooks } from '../workflows/workflow-hooks';

const NOT_STARTED = ['requested', 'scheduling', 'scheduled'];

export function cancelledBeforeStart(): ExecutionResult {
  return { exit_code: null, succeeded: false, duration_ms: 0, stdout: '', stdout_truncated: false, cancelled: true, error: 'Cancelled before it started' };
}

/**
 * Cancels executions, at the api's request (request/reply: the api answers POST …/cancel with
 * the status this leaves) or the workflow engine's. One that has not started is `cancelled` at once; one that runs becomes
 * `canceling` and every worker is told (a broadcast: the executor does not track which worker
 * holds which dispatch). The worker running it kills the process group and reports `cancelled`;
 * a worker that receives the dispatch later skips it.
 */
@Injectable()
export class ExecutionCanceller {
  constructor(
    private readonly executions: ExecutionRepository,
    private readonly publisher: MessagePublisher,
    private readonly endings: ExecutionEndings,
    private readonly workflows: WorkflowHooks,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Applies a cancel request and answers the status the execution is left in (the api's answer to
   * POST …/cancel): `cancelled`, `canceling`, or a terminal status it reached first.
   */
  async cancel(executionId: number): Promise<ExecutionCancelReplyV1> {
    const log = this.logger.child({ execution_id: executionId });
    // A workflow run is cancelled by its engine (its tasks first, by its cancellation policy).
    if (await this.workflows.cancelRun(executionId)) return this.reply(executionId);
    // The status can move between the read and the guarded write (a worker starting it): retry.
    for (let i = 0; i < 5; i++) {
      const current = await this.executions.findById(executionId);
      if (!current) throw new DomainError('NOT_FOUND', `execution ${executionId} not found`);
      if (isTerminal(current.status)) return { execution_id: executionId, status: current.status };
      if (NOT_STARTED.includes(current.status)) {
        const done = await this.executions.transition(executionId, 'cancelled', { finishedAt: new Date(), result: cancelledBeforeStart() });
        if (!done) continue;
        log.info('cancelled before it started');
        await this.endings.ended(done);
        // A dispatch may already sit in a worker queue: make sure no worker runs it.
        await this.tellWorkers(executionId);
        return { execution_id: executionId, status: done.status };
      }
      if (current.status === 'running') {
        if (!(await this.executions.transition(executionId, 'canceling'))) continue;
        log.info({ worker: current.worker }, 'canceling');
      }
      await this.tellWorkers(executionId);
      return this.reply(executionId);
    }
    log.warn('could not settle a status to cancel from; leaving it to the next request');
    return this.reply(executionId);
  }

  private async reply(executionId: number): Promise<ExecutionCancelReplyV1> {
    const now = await this.executions.findById(executionId);
    if (!now) throw new DomainError('NOT_FOUND', `execution ${executionId} not found`);
    return { execution_id: executionId, status: now.status };
  }

  async tellWorkers(executionId: number): Promise<void> {
    const msg: ExecutionCancelV1 = { execution_id: executionId };
    await this.publisher.publish(MessageTypes.ExecutionCancel, msg, { correlationId: `execution:${executionId}` });
  }
}
