import { ALLOWED_FROM, type ExecutionResult, type ExecutionStatus, isTerminal } from '@attune/contracts';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { ExecutionEntity } from '../entities/execution.entity';
import { LOG_NOTIFY_CHANNEL } from './execution-log.repository';

export interface NewExecution {
  action: number | null;
  actionRef: string;
  /** The parameters with secrets masked (ParameterSecrets.seal). */
  config: Record<string, unknown>;
  /** The secret parameters, sealed; null or absent when there are none. */
  secretParameters?: string | null;
  envVars?: Record<string, string>;
  parent?: number | null;
  enforcement?: number | null;
  executor?: number | null;
  timeoutSeconds: number;
}

export interface ExecutionFilter {
  status?: ExecutionStatus;
  actionRef?: string;
  parent?: number;
  enforcement?: number;
}

export interface TransitionPatch {
  /** Applies only while the execution is on this dispatch attempt (reports of older attempts are ignored). */
  attempt?: number;
  worker?: string;
  result?: ExecutionResult;
  startedAt?: Date;
  finishedAt?: Date;
}

type Row = Record<string, unknown>;

function fromRow(r: Row): ExecutionEntity {
  return Object.assign(new ExecutionEntity(), {
    id: Number(r.id),
    action: r.action === null ? null : Number(r.action),
    actionRef: r.action_ref,
    config: r.config,
    secretParameters: r.secret_parameters ?? null,
    envVars: r.env_vars,
    parent: r.parent === null ? null : Number(r.parent),
    enforcement: r.enforcement === null ? null : Number(r.enforcement),
    executor: r.executor === null ? null : Number(r.executor),
    worker: r.worker,
    status: r.status,
    result: r.result,
    timeoutSeconds: r.timeout_seconds,
    attempt: r.attempt,
    packDigest: r.pack_digest ?? null,
    waitingReason: r.waiting_reason ?? null,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    created: r.created,
    updated: r.updated,
  });
}

@Injectable()
export class ExecutionRepository {
  constructor(@InjectRepository(ExecutionEntity) private readonly repo: Repository<ExecutionEntity>) {}

  async create(input: NewExecution): Promise<ExecutionEntity> {
    const rows: Row[] = await this.repo.query(
      `INSERT INTO executions (action, action_ref, config, env_vars, parent, enforcement, executor, status, timeout_seconds, secret_parameters)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'requested', $8, $9) RETURNING *`,
      [
        input.action,
        input.actionRef,
        JSON.stringify(input.config),
        JSON.stringify(input.envVars ?? {}),
        input.parent ?? null,
        input.enforcement ?? null,
        input.executor ?? null,
        input.timeoutSeconds,
        input.secretParameters ?? null,
      ],
    );
    return fromRow(rows[0]);
  }

  findById(id: number): Promise<ExecutionEntity | null> {
    return this.repo.findOneBy({ id });
  }

  /** Only the status (null when there is no such execution): a primary-key lookup reading one column. */
  async findStatus(id: number): Promise<string | null> {
    const rows = (await this.repo.query(`SELECT status FROM executions WHERE id = $1`, [id])) as Array<{ status: string }>;
    return rows.length ? rows[0].status : null;
  }

  async list(filter: ExecutionFilter, page: number, perPage: number): Promise<{ items: ExecutionEntity[]; total: number }> {
    const where: Record<string, unknown> = {};
    if (filter.status) where.status = filter.status;
    if (filter.actionRef) where.actionRef = filter.actionRef;
    if (filter.parent !== undefined) where.parent = filter.parent;
    if (filter.enforcement !== undefined) where.enforcement = filter.enforcement;
    const [items, total] = await this.repo.findAndCount({
      where,
      order: { created: 'DESC', id: 'DESC' },
      skip: (page - 1) * perPage,
      take: perPage,
    });
    return { items, total };
  }

  /**
   * Moves an execution to `to` only when its current status allows it (ALLOWED_FROM), in one
   * statement. Answers the updated row, or null when the guard did not hold (a duplicate or
   * late message), so callers never overwrite a newer status.
   */
  async transition(id: number, to: ExecutionStatus, patch: TransitionPatch = {}): Promise<ExecutionEntity | null> {
    // Any move ends a wait for a worker (parkWaiting is the only way into one).
    const sets = ['status = $2', 'updated = now()', 'waiting_reason = NULL'];
    const params: unknown[] = [id, to, ALLOWED_FROM[to]];
    const add = (column: string, value: unknown) => {
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    };
    if (patch.worker !== undefined) add('worker', patch.worker);
    if (patch.result !== undefined) add('result', JSON.stringify(patch.result));
    // A started_at already recorded wins: the first report of the start is the true one.
    if (patch.startedAt !== undefined) {
      params.push(patch.startedAt);
      sets.push(`started_at = COALESCE(started_at, $${params.length})`);
    }
    if (patch.finishedAt !== undefined) add('finished_at', patch.finishedAt);
    let guard = '';
    if (patch.attempt !== undefined) {
      params.push(patch.attempt);
      guard = ` AND attempt = $${params.length}`;
    }
    const update = `UPDATE executions SET ${sets.join(', ')} WHERE id = $1 AND status = ANY($3::text[])${guard} RETURNING *`;
    // Live tails of the execution's logs wake on its end (in the same statement: no extra round trip).
    const rows: Row[] = isTerminal(to)
      ? await this.repo.query(`WITH u AS (${update}) SELECT u.*, pg_notify('${LOG_NOTIFY_CHANNEL}', u.id::text) FROM u`, params)
      : await this.repo.query(update, params);
    // node-postgres answers [rows, count] for UPDATE … RETURNING through TypeORM.
    const list = Array.isArray(rows[0]) ? (rows[0] as unknown as Row[]) : rows;
    return list.length ? fromRow(list[0]) : null;
  }

  /**
   * Puts a running execution whose worker was lost back to `requested` as its next attempt,
   * forgetting the lost run. Guarded on status and attempt, so it happens once per loss.
   */
  async requeueForRetry(id: number, attempt: number): Promise<ExecutionEntity | null> {
    const rows: Row[] = await this.repo.query(
      `UPDATE executions SET status = 'requested', attempt = attempt + 1, worker = NULL, started_at = NULL,
              result = NULL, updated = now()
        WHERE id = $1 AND status = ANY($2::text[]) AND attempt = $3 RETURNING *`,
      [id, ALLOWED_FROM.requested, attempt],
    );
    const list = Array.isArray(rows[0]) ? (rows[0] as unknown as Row[]) : rows;
    return list.length ? fromRow(list[0]) : null;
  }

  /**
   * Executions running (or being cancelled) on a worker that has gone silent: its last heartbeat
   * is older than `silentForMs`, it said it went offline, or it never announced itself. An
   * execution must also have been unchanged for `silentForMs`, so a worker that has only just
   * started is given time for its first heartbeat.
   */
  async findOnLostWorkers(silentForMs: number, limit: number): Promise<ExecutionEntity[]> {
    const rows: Row[] = await this.repo.query(
      `SELECT e.* FROM executions e
         LEFT JOIN workers w ON w.name = e.worker
        WHERE e.status IN ('running', 'canceling')
          AND e.updated < now() - ($1::double precision * interval '1 millisecond')
          AND (w.name IS NULL OR w.status = 'offline'
               OR w.last_heartbeat < now() - ($1::double precision * interval '1 millisecond'))
        ORDER BY e.updated ASC LIMIT $2`,
      [silentForMs, limit],
    );
    return rows.map(fromRow);
  }

  /**
   * Fixes the pack archive an execution runs, the first time it is scheduled; later schedulings
   * (a sweep, a retry) keep it. Answers the digest in effect, or null if none is recorded.
   */
  async recordPackDigest(id: number, digest: string): Promise<string | null> {
    const rows: Row[] = await this.repo.query(
      `UPDATE executions SET pack_digest = COALESCE(pack_digest, $2) WHERE id = $1 AND status = 'scheduling' RETURNING pack_digest`,
      [id, digest],
    );
    const list = Array.isArray(rows[0]) ? (rows[0] as unknown as Row[]) : rows;
    return list.length ? (list[0].pack_digest as string | null) : null;
  }

  /**
   * Parks an execution being scheduled in `scheduled` without dispatching it, because no live
   * worker can run it; `reason` says so to anyone reading the execution.
   */
  async parkWaiting(id: number, reason: string): Promise<ExecutionEntity | null> {
    const rows: Row[] = await this.repo.query(
      `UPDATE executions SET status = 'scheduled', waiting_reason = $2, updated = now()
        WHERE id = $1 AND status = 'scheduling' RETURNING *`,
      [id, reason],
    );
    const list = Array.isArray(rows[0]) ? (rows[0] as unknown as Row[]) : rows;
    return list.length ? fromRow(list[0]) : null;
  }

  /**
   * Takes a parked execution back to `scheduling` so it can be dispatched. Only a parked one
   * (waiting_reason set) moves: a dispatched `scheduled` execution never goes back.
   */
  async claimWaiting(id: number): Promise<ExecutionEntity | null> {
    const rows: Row[] = await this.repo.query(
      `UPDATE executions SET status = 'scheduling', waiting_reason = NULL, updated = now()
        WHERE id = $1 AND status = 'scheduled' AND waiting_reason IS NOT NULL RETURNING *`,
      [id],
    );
    const list = Array.isArray(rows[0]) ? (rows[0] as unknown as Row[]) : rows;
    return list.length ? fromRow(list[0]) : null;
  }

  /** Ids of parked executions whose action needs one of `runtimes`, oldest first. */
  async findWaiting(runtimes: string[], limit: number): Promise<number[]> {
    const rows: Row[] = await this.repo.query(
      `SELECT e.id FROM executions e JOIN actions a ON a.id = e.action
        WHERE e.status = 'scheduled' AND e.waiting_reason IS NOT NULL AND a.runtime = ANY($1::text[])
        ORDER BY e.updated ASC LIMIT $2`,
      [runtimes, limit],
    );
    return rows.map((r) => Number(r.id));
  }

  /** Non-terminal executions that have not moved for `olderThanMs`, oldest first. */
  async findStale(statuses: ExecutionStatus[], olderThanMs: number, limit: number): Promise<ExecutionEntity[]> {
    const rows: Row[] = await this.repo.query(
      `SELECT * FROM executions
        WHERE status = ANY($1::text[]) AND updated < now() - ($2::double precision * interval '1 millisecond')
        ORDER BY updated ASC LIMIT $3`,
      [statuses, olderThanMs, limit],
    );
    return rows.map(fromRow);
  }
}
