import { MessageTypes, type WorkerHeartbeatV1 } from '@attune/contracts';
import { WorkerRepository } from '@attune/persistence';
import { type Logger, ROOT_LOGGER } from '@attune/service-kit';
import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { ExecutorConfig } from '../config/executor.config';
import { WaitingExecutions } from '../routing/waiting-executions.service';

/**
 * Keeps the `workers` table (GET /api/v1/workers) current from worker heartbeats, and hands
 * executions waiting for a runtime to a worker that announces it.
 */
@Controller()
export class WorkerHeartbeatConsumer {
  constructor(
    private readonly workers: WorkerRepository,
    private readonly waiting: WaitingExecutions,
    private readonly config: ExecutorConfig,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern(MessageTypes.WorkerHeartbeat)
  async handle(@Payload() hb: WorkerHeartbeatV1): Promise<void> {
    await this.workers.recordHeartbeat({
      name: hb.worker,
      hostname: hb.hostname,
      pool: hb.pool,
      runtimes: hb.runtimes,
      status: hb.status,
      running: hb.running,
      capacity: hb.capacity,
      lastHeartbeat: new Date(hb.timestamp),
      namespace: this.config.amqpNamespace,
    });
    if (hb.status !== 'online') return;
    // The heartbeat is recorded either way; a failed release is retried at the next one.
    await this.waiting.release(hb.pool, hb.runtimes).catch((err: Error) =>
      this.logger.warn({ worker: hb.worker, err: err.message }, 'could not dispatch executions waiting for this worker'),
    );
  }
}
