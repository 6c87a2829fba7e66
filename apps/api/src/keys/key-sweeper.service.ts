import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ApiConfig } from '../config/api.config';
import { KeysService } from './keys.service';

/**
 * Deletes expired keys every ATTUNE_KEY_SWEEP_INTERVAL_MS. They are invisible from the moment
 * they expire (every read filters on expires_at); this only reclaims the rows. Replicas may
 * sweep at once: deleting an expired row twice is harmless.
 */
@Injectable()
export class KeySweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(KeySweeper.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly keys: KeysService,
    private readonly config: ApiConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), this.config.keySweepIntervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  sweep(): Promise<unknown> {
    this.running ??= this.keys
      .sweepExpired()
      .then((deleted) => deleted && this.logger.log(`${deleted} expired keys deleted`))
      .catch((err) => this.logger.warn(`expired keys sweep failed; will try again: ${(err as Error).message}`))
      .finally(() => (this.running = undefined));
    return this.running;
  }
}
