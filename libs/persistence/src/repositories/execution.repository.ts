import { ALLOWED_FROM, EXECUTOR_HELD_PREFIX, type ExecutionResult, type ExecutionStatus, isTerminal } from '@attune/contracts';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { ExecutionEntity } from '../entities/execution.entity';
import { LOG_NOTIFY_CHANNEL } from './execution-log.reader';
import { entityReader, type Queryable, type Row, rowsOf } from './rows';
import { asListRequest, type ListPage, type ListRequest, ListConditions, listPage } from './list-page';

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
  /** The identity that requested it (by id or by login, case-insensitive). */
  executor?: number;
  executorLogin?: string;
  createdAfter?: Date;
  createdBefore?: Date;
}

/** The SQL of an execution filter; every combination has an index ending in (created DESC, id DESC). */
export function executionConditions(filter: ExecutionFilter): ListConditions {
  const c = new ListConditions().equal(filter, {
    status: 'status',
    actionRef: 'action_ref',
    parent: 'parent',
    enforcement: 'enforcement',
    executor: 'executor',
  });
  if (filter.executorLogin !== undefined) {
    c.add((n) => `executor = (SELECT id FROM identities WHERE lower(login) = lower($${n}))`, filter.executorLogin);
  }
  if (filter.createdAfter) c.add((n) => `created > $${n}`, filter.createdAfter);
  if (filter.createdBefore) c.add((n) => `created < $${n}`, filter.createdBefore);
  return c;
}

export interface TransitionPatch {
  /** Applies only while the execution is on this dispatch attempt (reports of older attempts are ignored). */
  attempt?: number;
  worker?: string;
  result?: ExecutionResult;
  startedAt?: Date;
  finishedAt?: Date;
}

const fromRow = entityReader(ExecutionEntity);

/**
 * Inserts a `requested` execution through `q`: the repository, or the transaction of a caller
 * that writes more with it (an enforcement's resolution). Answers the new row.
 */
export async function insertExecution(q: Queryable, input: NewExecution): Promise<Row> {
  const rows: Row[] = await q.query(
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
  return rows[0];
}

@Injectable()
export class ExecutionRepository {
  constructor(@InjectRepository(ExecutionEntity) private readonly repo: Repository<ExecutionEntity>) {}

  async create(input: NewExecution): Promise<ExecutionEntity> {
    return fromRow(await insertExecution(this.repo, input));
  }

  findById(id: number): Promise<ExecutionEntity | null> {
    return this.repo.findOneBy({ id });
  }

  /** Only the status (null when there is no such execution): a primary-key lookup reading one column. */
  async findStatus(id: number): Promise<string | null> {
    const rows = (await this.repo.query(`SELECT status FROM executions WHERE id = $1`, [id])) as Array<{ status: string }>;
    return rows.length ? rows[0].status : null;
  }

  /** One page, newest first (list-page.ts: cursor or offset, total exact while cheap). */
  list(filter: ExecutionFilter, reqOrPage: ListRequest | number, perPage?: number): Promise<ListPage<ExecutionEntity>> {
    const req = asListRequest(reqOrPage, perPage);
    return listPage((sql, params) => this.repo.query(sql, params), 'executions', executionConditions(filter), 'created', req, fromRow);
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
    return this.one(isTerminal(to) ? `WITH u AS (${update}) SELECT u.*, pg_notify('${LOG_NOTIFY_CHANNEL}', u.id::text) FROM u` : update, params);
  }

  /**
   * Puts a running execution whose worker was lost back to `requested` as its next attempt,
   * forgetting the lost run. Guarded on status and attempt, so it happens once per loss.
   */
  async requeueForRetry(id: number, attempt: number): Promise<ExecutionEntity | null> {
    return this.one(
      `UPDATE executions SET status = 'requested', attempt = attempt + 1, worker = NULL, started_at = NULL,
              result = NULL, updated = now()
        WHERE id = $1 AND status = ANY($2::text[]) AND attempt = $3 RETURNING *`,
      [id, ALLOWED_FROM.requested, attempt],
    );
  }

  /**
   * Executions running (or being cancelled) on a worker that is gone: the executor marked it
   * `stale` (WorkerRepository.markStale), it said it went offline, or it never announced itself.
   * An execution must also have been unchanged for `silentForMs`, so a worker that has only just
   * started is given time for its first heartbeat.
   */
  async findOnLostWorkers(silentForMs: number, limit: number): Promise<ExecutionEntity[]> {
    const rows: Row[] = await this.repo.query(
      `SELECT e.* FROM executions e
         LEFT JOIN workers w ON w.name = e.worker
        WHERE e.status IN ('running', 'canceling')
          AND e.updated < now() - ($1::double precision * interval '1 millisecond')
          -- Held by the executor itself (a workflow run, an inquiry), never by a worker.
          AND (e.worker IS NULL OR left(e.worker, ${EXECUTOR_HELD_PREFIX.length}) <> '${EXECUTOR_HELD_PREFIX}')
          AND (w.name IS NULL OR w.status IN ('offline', 'stale'))
        ORDER BY e.updated ASC LIMIT $2`,
      [silentForMs, limit],
    );
    return rows.map(fromRow);
  }

  /**
   * Fixes the pack archive an execution runs, the first time it is scheduled, to its pack's
   * current archive (one statement: the pack's digest is read inside it); later schedulings (a
   * sweep, a retry) keep the first. Answers the digest in effect (null for a pack never uploaded),
   * or undefined when the execution is no longer `scheduling`.
   */
  async fixPackDigest(id: number, packId: number): Promise<{ digest: string | null } | undefined> {
    const [row] = rowsOf(
      await this.repo.query(
        `UPDATE executions SET pack_digest = COALESCE(pack_digest, (SELECT digest FROM packs WHERE id = $2))
          WHERE id = $1 AND status = 'scheduling' RETURNING pack_digest`,
        [id, packId],
      ),
    );
    return row ? { digest: (row.pack_digest as string | null) ?? null } : undefined;
  }

  /**
   * Parks an execution being scheduled in `scheduled` without dispatching it, because no live
   * worker can run it; `reason` says so to anyone reading the execution.
   */
  async parkWaiting(id: number, reason: string): Promise<ExecutionEntity | null> {
    return this.one(
      `UPDATE executions SET status = 'scheduled', waiting_reason = $2, updated = now()
        WHERE id = $1 AND status = 'scheduling' RETURNING *`,
      [id, reason],
    );
  }

  /**
   * Takes a parked execution back to `scheduling` so it can be dispatched. Only a parked one
   * (waiting_reason set) moves: a dispatched `scheduled` execution never goes back.
   */
  async claimWaiting(id: number): Promise<ExecutionEntity | null> {
    return this.one(
      `UPDATE executions SET status = 'scheduling', waiting_reason = NULL, updated = now()
        WHERE id = $1 AND status = 'scheduled' AND waiting_reason IS NOT NULL RETURNING *`,
      [id],
    );
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

  /** The one row a single-row statement answers, or null. */
  private async one(sql: string, params: unknown[]): Promise<ExecutionEntity | null> {
    const [row] = rowsOf(await this.repo.query(sql, params));
    return row ? fromRow(row) : null;
  }
}
