import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';

/** What PeriodicJob runs, how often, and under which name it logs. */
export interface PeriodicJobSpec {
  name: string;
  everyMs: number;
  /** One pass; what it answers is ignored. */
  run: () => Promise<unknown>;
  logger: Logger;
}

/**
 * A background job that runs `run()` every `everyMs` once started: never two passes at once, a
 * failed pass logged and tried again at the next tick, and shutdown waiting for a pass in progress.
 */
export class PeriodicJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(private readonly job: PeriodicJobSpec) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.runOnce(), this.job.everyMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Runs a pass now unless one is in progress (then answers that one). */
  runOnce(): Promise<void> {
    this.running ??= this.job
      .run()
      .then(() => undefined)
      .catch((err) => this.job.logger.warn({ err: (err as Error).message }, `${this.job.name} failed; will try again`))
      .finally(() => (this.running = undefined));
    return this.running;
  }
}

/**
 * Everything a service does on a timer rather than on a message, listed in one place with the
 * setting that paces each job; the jobs start with the app and shutdown waits for their passes.
 * A service's subclass builds the list from the services it injects; every job logs to `logger`.
 */
export abstract class PeriodicJobList implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly jobs: PeriodicJob[];

  protected constructor(logger: Logger, jobs: Array<Omit<PeriodicJobSpec, 'logger'>>) {
    this.jobs = jobs.map((job) => new PeriodicJob({ ...job, logger }));
  }

  onApplicationBootstrap(): void {
    for (const job of this.jobs) job.onApplicationBootstrap();
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.jobs.map((job) => job.onApplicationShutdown()));
  }
}
