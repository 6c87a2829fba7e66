import { EventRepository } from '@attune/persistence';
import { type Logger, ROOT_LOGGER } from '@attune/service-kit';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ExecutorConfig } from '../config/executor.config';
import { RuleEnforcer } from './rule-enforcer.service';

const BATCH = 100;

/**
 * Matches events that no `event.created` brought to an executor: the api (or a timer) recorded
 * them but the announcement was lost (broker down, crash between insert and publish), or an
 * executor died mid-way. Processing is idempotent, so sweeping an event another executor is
 * handling at the same moment does no harm.
 */
@Injectable()
export class EventSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly events: EventRepository,
    private readonly enforcer: RuleEnforcer,
    private readonly config: ExecutorConfig,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running ??= this.sweep()
        .then(() => undefined)
        .catch((err) => this.logger.warn({ err: (err as Error).message }, 'event sweep failed; will try again'))
        .finally(() => (this.running = undefined));
    }, this.config.sweepIntervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Answers how many events were picked up. */
  async sweep(): Promise<number> {
    const ids = await this.events.findUnprocessed(this.config.staleAfterMs, BATCH);
    for (const id of ids) {
      this.logger.info({ event_id: id }, 'processing an event no message delivered');
      await this.enforcer.processEvent(id);
    }
    return ids.length;
  }
}
