import { MessageTypes, type WorkerHeartbeatV1 } from '@attune/contracts';
import { WorkerRepository } from '@attune/persistence';
import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';

/** Keeps the `workers` table (GET /api/v1/workers) current from worker heartbeats. */
@Controller()
export class WorkerHeartbeatConsumer {
  constructor(private readonly workers: WorkerRepository) {}

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
    });
  }
}
