import { ExecutionRepository } from '@attune/persistence';
import { type Logger, ROOT_LOGGER } from '@attune/service-kit';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
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
export class ExecutionSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly executions: ExecutionRepository,
    private readonly scheduler: ExecutionScheduler,
    private readonly config: ExecutorConfig,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running ??= this.sweep()
        .then(() => undefined)
        .catch((err) => this.logger.warn({ err: (err as Error).message }, 'sweep failed; will try again'))
        .finally(() => (this.running = undefined));
    }, this.config.sweepIntervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
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
