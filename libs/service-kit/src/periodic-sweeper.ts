import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';

/**
 * A background job that runs `sweep()` every `intervalMs` once the app has started: never two
 * runs at once, a failed run logged and tried again at the next tick, and shutdown waiting for a
 * run in progress. Subclasses are Nest providers.
 */
export abstract class PeriodicSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  /** Names the job in logs. */
  protected abstract readonly sweepName: string;
  protected abstract readonly logger: Logger;
  protected abstract intervalMs(): number;
  /** One pass; what it answers is ignored. */
  abstract sweep(): Promise<unknown>;

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.runOnce(), this.intervalMs());
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Runs a pass now unless one is in progress (then answers that one). */
  runOnce(): Promise<void> {
    this.running ??= this.sweep()
      .then(() => undefined)
      .catch((err) => this.logger.warn({ err: (err as Error).message }, `${this.sweepName} failed; will try again`))
      .finally(() => (this.running = undefined));
    return this.running;
  }
}
