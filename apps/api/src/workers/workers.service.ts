import { WorkerRepository } from '@attune/persistence';
import { Injectable } from '@nestjs/common';
import { ApiConfig } from '../config/api.config';
import type { WorkerDto } from './worker.dto';
import { iso } from '../common/records';

/**
 * The workers of this platform as the executor keeps them: what their heartbeats said, and
 * `stale` once the executor decided one has gone silent (ATTUNE_EXECUTOR_WORKER_LOST_AFTER_MS).
 * Liveness is the executor's decision alone; this only reads it.
 */
@Injectable()
export class WorkersService {
  constructor(
    private readonly workers: WorkerRepository,
    private readonly config: ApiConfig,
  ) {}

  async list(page: number, perPage: number): Promise<{ items: WorkerDto[]; total: number }> {
    // Only this platform's workers, should several platforms share the database.
    const { items, total } = await this.workers.list(page, perPage, this.config.amqpNamespace);
    return {
      total,
      items: items.map((w) => ({
        name: w.name,
        hostname: w.hostname,
        pool: w.pool,
        status: w.status,
        runtimes: w.runtimes,
        running: w.running,
        capacity: w.capacity,
        last_heartbeat: iso(w.lastHeartbeat),
      })),
    };
  }
}
