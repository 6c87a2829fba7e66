import { ExecutionLogRepository } from '@attune/persistence';
import { type Logger, ROOT_LOGGER } from '@attune/service-kit';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { LogRecorder } from './log-recorder.service';

const INTERVAL_MS = 15_000;
const IDLE_MS = 30_000;

/** Joins complete log streams a crash or failure left unjoined. */
@Injectable()
export class LogFinalizeSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly logs: ExecutionLogRepository,
    private readonly recorder: LogRecorder,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running ??= this.sweep()
        .catch((err) => this.logger.warn({ err: (err as Error).message }, 'log sweep failed; will try again'))
        .finally(() => (this.running = undefined));
    }, INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  async sweep(): Promise<void> {
    for (const s of await this.logs.findUnfinished(IDLE_MS, 50)) {
      // A claim older than IDLE_MS belongs to a join that died: give it back first.
      if (s.state === 'finalizing') await this.logs.releaseClaim(s.execution, s.stream);
      await this.recorder.finalize(s.execution, s.stream);
    }
  }
}
