import { MessageTypes, type WorkerHeartbeatV1 } from '@attune/contracts';
import { MessagePublisher } from '@attune/messaging';
import { type Logger, ROOT_LOGGER } from '@attune/service-kit';
import { Inject, Injectable, type OnApplicationBootstrap, type BeforeApplicationShutdown, type OnApplicationShutdown } from '@nestjs/common';
import { hostname } from 'node:os';
import { WorkerConfig } from '../config/worker.config';
import { ExecutionRunner } from '../runner/execution-runner.service';

/** Announces this worker on the bus every few seconds. */
@Injectable()
export class HeartbeatService implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private status: WorkerHeartbeatV1['status'] = 'online';

  constructor(
    private readonly config: WorkerConfig,
    private readonly publisher: MessagePublisher,
    private readonly runner: ExecutionRunner,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    void this.beat(this.status);
    this.timer = setInterval(() => void this.beat(this.status), this.config.heartbeatIntervalMs);
    this.timer.unref();
  }

  /**
   * While draining, the worker keeps beating as `draining`: executions it still runs are not
   * lost. Once it is gone the beats stop, and the executor's worker-loss sweep handles anything
   * it could not finish.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.status = 'draining';
    await this.beat(this.status);
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private async beat(status: WorkerHeartbeatV1['status']): Promise<void> {
    const hb: WorkerHeartbeatV1 = {
      worker: this.config.name,
      hostname: hostname(),
      pool: this.config.pool,
      runtimes: this.config.runtimes,
      running: this.runner.runningCount,
      capacity: this.config.concurrency,
      status,
      timestamp: new Date().toISOString(),
    };
    try {
      await this.publisher.publish(MessageTypes.WorkerHeartbeat, hb);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'heartbeat not published');
    }
  }
}
