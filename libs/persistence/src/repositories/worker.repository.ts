import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { WorkerEntity } from '../entities/worker.entity';

/**
 * The one definition of a silent worker: no heartbeat for `silentForMs` (a parameter: the
 * executor's ATTUNE_EXECUTOR_WORKER_LOST_AFTER_MS). The executor writes such a worker `stale`
 * (markStale), and GET /api/v1/workers shows the status as written.
 */
const SILENT = `last_heartbeat < now() - (:ms::double precision * interval '1 millisecond')`;

export type WorkerHeartbeat = Pick<WorkerEntity, 'name' | 'hostname' | 'pool' | 'runtimes' | 'status' | 'running' | 'capacity' | 'lastHeartbeat'> &
  Partial<Pick<WorkerEntity, 'namespace'>>;

@Injectable()
export class WorkerRepository {
  constructor(@InjectRepository(WorkerEntity) private readonly repo: Repository<WorkerEntity>) {}

  /** Records a heartbeat; an older heartbeat arriving late never overwrites a newer one. */
  async recordHeartbeat(hb: WorkerHeartbeat): Promise<void> {
    await this.repo.query(
      `INSERT INTO workers (name, hostname, pool, runtimes, status, running, capacity, last_heartbeat, namespace)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (name) DO UPDATE SET hostname = EXCLUDED.hostname, pool = EXCLUDED.pool, namespace = EXCLUDED.namespace,
         runtimes = EXCLUDED.runtimes, status = EXCLUDED.status, running = EXCLUDED.running,
         capacity = EXCLUDED.capacity, last_heartbeat = EXCLUDED.last_heartbeat, updated = now()
       WHERE workers.last_heartbeat <= EXCLUDED.last_heartbeat`,
      [hb.name, hb.hostname, hb.pool, hb.runtimes, hb.status, hb.running, hb.capacity, hb.lastHeartbeat, hb.namespace ?? ''],
    );
  }

  /**
   * Marks the workers of the bus `namespace` that said they were online (or draining) but have
   * been silent for `silentForMs` as `stale`; their next heartbeat makes them what it says again.
   * Answers the names marked.
   */
  async markStale(namespace: string, silentForMs: number): Promise<string[]> {
    const marked = await this.repo
      .createQueryBuilder()
      .update(WorkerEntity)
      .set({ status: 'stale' })
      .where('namespace = :namespace', { namespace })
      .andWhere(`status IN ('online', 'draining')`)
      .andWhere(SILENT, { ms: silentForMs })
      .returning(['name'])
      .execute();
    return (marked.raw as Array<{ name: string }>).map((r) => r.name);
  }

  /**
   * Workers of `pool` on the bus `namespace` that can take work for `runtime` now: online, and
   * not silent for `silentForMs` (one the next markStale will mark is already left out). A
   * worker that is draining, offline or stale gets nothing new.
   */
  async findLive(namespace: string, pool: string, runtime: string, silentForMs: number): Promise<WorkerEntity[]> {
    return this.repo
      .createQueryBuilder('w')
      .where('w.namespace = :namespace', { namespace })
      .andWhere('w.pool = :pool', { pool })
      .andWhere(`w.status = 'online'`)
      .andWhere(':runtime = ANY(w.runtimes)', { runtime })
      .andWhere(`NOT (w.${SILENT})`, { ms: silentForMs })
      .getMany();
  }

  /** With `namespace`, only the workers of that bus namespace. */
  async list(page: number, perPage: number, namespace?: string): Promise<{ items: WorkerEntity[]; total: number }> {
    const [items, total] = await this.repo.findAndCount({
      where: namespace === undefined ? {} : { namespace },
      order: { name: 'ASC' },
      skip: (page - 1) * perPage,
      take: perPage,
    });
    return { items, total };
  }
}
