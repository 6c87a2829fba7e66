import { dispatchRoutingKey, runtimeSetKey } from '@attune/contracts';
import { type ActionEntity, type ExecutionEntity, ExecutionRepository, type WorkerEntity, WorkerRepository } from '@attune/persistence';
import { type Logger, ROOT_LOGGER } from '@attune/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { ExecutorConfig } from '../config/executor.config';

const parked = new Counter({
  name: 'attune_executions_waiting_for_worker_total',
  help: 'Executions parked in scheduled because no live worker had their runtime',
  labelNames: ['runtime'],
});

/** Where a dispatch goes and which pack archive it names. */
export type DispatchPlan =
  | { kind: 'dispatch'; routingKey: string; runtimeSet: string; packDigest?: string }
  /** Parked in `scheduled` with a waiting reason; a capable worker's heartbeat releases it. */
  | { kind: 'parked'; reason: string }
  /** The execution left `scheduling` meanwhile (cancelled): nothing to do. */
  | { kind: 'gone' };

/**
 * Workers with the same runtimes share one queue, `worker.<pool>.<runtime set>`, bound to the
 * routing key `execution.dispatch.v1.<pool>.<runtime set>`. A message to a set no worker ever
 * declared a queue for would be dropped by the broker, so a dispatch only ever goes to a set
 * that a live worker (online, heard from recently) announced in its heartbeat: among those
 * that have the action's runtime, the one with the most free slots.
 */
export function chooseRuntimeSet(live: WorkerEntity[]): string | undefined {
  const sets = new Map<string, { free: number; workers: number }>();
  for (const w of live) {
    const key = runtimeSetKey(w.runtimes);
    const s = sets.get(key) ?? { free: 0, workers: 0 };
    s.free += Math.max(0, w.capacity - w.running);
    s.workers += 1;
    sets.set(key, s);
  }
  return [...sets.entries()].sort(([ak, a], [bk, b]) => b.free - a.free || b.workers - a.workers || (ak < bk ? -1 : 1))[0]?.[0];
}

@Injectable()
export class DispatchPlanner {
  constructor(
    private readonly workers: WorkerRepository,
    private readonly executions: ExecutionRepository,
    private readonly config: ExecutorConfig,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  /** For an execution in `scheduling`: a route to capable workers, or parked until there is one. */
  async plan(execution: ExecutionEntity, action: ActionEntity): Promise<DispatchPlan> {
    const pool = this.config.workerPool;
    const live = await this.workers.findLive(this.config.amqpNamespace, pool, action.runtime, this.config.workerLostAfterMs);
    const runtimeSet = chooseRuntimeSet(live);
    if (!runtimeSet) return this.park(execution, action, `waiting for a worker with runtime "${action.runtime}" in pool "${pool}": none is online`);
    let packDigest: string | undefined;
    if (!action.entrypointInline) {
      // The archive current now is the one this execution runs, on every later attempt too.
      const fixed = await this.executions.fixPackDigest(execution.id, action.packId);
      if (!fixed) return { kind: 'gone' };
      packDigest = fixed.digest ?? undefined;
    }
    return { kind: 'dispatch', routingKey: dispatchRoutingKey(pool, runtimeSet), runtimeSet, packDigest };
  }

  /** Parks the execution in `scheduled` with the reason; the next capable heartbeat releases it. */
  async park(execution: ExecutionEntity, action: ActionEntity, reason: string): Promise<DispatchPlan> {
    if (!(await this.executions.parkWaiting(execution.id, reason))) return { kind: 'gone' };
    parked.inc({ runtime: action.runtime });
    this.logger.warn({ execution_id: execution.id, runtime: action.runtime, pool: this.config.workerPool }, reason);
    return { kind: 'parked', reason };
  }
}
