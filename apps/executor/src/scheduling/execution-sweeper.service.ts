import { ExecutionRepository } from '@attune/persistence';
import { type Logger, PeriodicSweeper, ROOT_LOGGER } from '@attune/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { ExecutorConfig } from '../config/executor.config';
import { ExecutionScheduler } from './execution-scheduler.service';

const BATCH = 100;

/**
 * Schedules executions that no message brought to the executor: the api recorded them while
 * the broker was unreachable, or an executor died between `scheduling` and the dispatch.
 * Because every step is a guarded transition, sweeping an execution that is being handled
 * elsewhere at the same moment does no harm.
 */
@Injectable()
export class ExecutionSweeper extends PeriodicSweeper {
  protected readonly sweepName = 'execution sweep';

  constructor(
    private readonly executions: ExecutionRepository,
    private readonly scheduler: ExecutionScheduler,
    private readonly config: ExecutorConfig,
    @Inject(ROOT_LOGGER) protected readonly logger: Logger,
  ) {
    super();
  }

  protected intervalMs(): number {
    return this.config.sweepIntervalMs;
  }

  /** Answers how many executions were picked up. */
  async sweep(): Promise<number> {
    const stale = await this.executions.findStale(['requested', 'scheduling'], this.config.staleAfterMs, BATCH);
    for (const execution of stale) {
      this.logger.info({ execution_id: execution.id, status: execution.status }, 'scheduling a stale execution');
      await this.scheduler.schedule(execution.id);
    }
    return stale.length;
  }
}
