import { ExecutionRepository } from '@attune/persistence';
import { type Logger, ROOT_LOGGER } from '@attune/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { ExecutorConfig } from '../config/executor.config';
import { ExecutionScheduler } from '../scheduling/execution-scheduler.service';

const BATCH = 100;

/**
 * Dispatches executions parked for want of a worker once one that can run them announces
 * itself. Each is claimed with a guarded update (only a parked one moves back to
 * `scheduling`), so executors handling heartbeats at the same time never dispatch one twice;
 * a crash after the claim leaves it `scheduling`, which the sweep schedules.
 */
@Injectable()
export class WaitingExecutions {
  constructor(
    private readonly executions: ExecutionRepository,
    private readonly scheduler: ExecutionScheduler,
    private readonly config: ExecutorConfig,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  /** Answers how many were dispatched (or parked again). */
  async release(pool: string, runtimes: string[]): Promise<number> {
    if (pool !== this.config.workerPool || !runtimes.length) return 0;
    let released = 0;
    for (const id of await this.executions.findWaiting(runtimes, BATCH)) {
      if (!(await this.executions.claimWaiting(id))) continue;
      this.logger.info({ execution_id: id, runtimes }, 'a worker that can run it is online; scheduling the waiting execution');
      await this.scheduler.schedule(id);
      released++;
    }
    return released;
  }
}
