import { type ExecutionStatus, TERMINAL_STATUSES } from '@attune/contracts';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { type Row, rowsOf } from './rows';

/**
 * SQL of run retention: which executions, enforcements and events are old enough to go, in
 * short batches. The rule for executions is written once (EXPIRED) and used by the executor, which
 * deletes executions, and by artifact-store, which first deletes their logs, so both agree on
 * what goes. Each method writes only its owner's tables: execution, enforcement and event
 * deletes are the executor's; purgeLogs is artifact-store's.
 */

/** The retention rule over execution `e` ($1 cutoff, $2 statuses). See docs/architecture.md#retention. */
const EXPIRED = `
  e.status = ANY($2::text[])
  AND e.created < $1 AND e.updated < $1
  -- a task of a workflow run that is still going
  AND NOT EXISTS (SELECT 1 FROM executions p WHERE p.id = e.parent AND NOT (p.status = ANY($3::text[])))
  -- a workflow run (or any parent) with a child still going
  AND NOT EXISTS (SELECT 1 FROM executions c WHERE c.parent = e.id AND NOT (c.status = ANY($3::text[])))
  -- artifacts other than its logs live by their own retention policy, and keep their execution
  AND NOT EXISTS (SELECT 1 FROM artifacts a WHERE a.execution = e.id AND a.origin <> 'log')
  AND NOT EXISTS (SELECT 1 FROM artifact_versions v JOIN artifacts a ON a.id = v.artifact
                   WHERE v.execution = e.id AND a.origin <> 'log')`;

export interface ExpiredExecution {
  id: number;
  actionRef: string;
  status: ExecutionStatus;
  created: Date;
  /** `created` as Postgres prints it (microseconds kept): the key to continue after this row. */
  createdKey: string;
}

export interface RetentionRule {
  cutoff: Date;
  /** Terminal statuses only; all of them by default. */
  statuses?: readonly ExecutionStatus[];
}

function ruleParams(rule: RetentionRule): unknown[] {
  const statuses = (rule.statuses?.length ? rule.statuses : TERMINAL_STATUSES).filter((s) => TERMINAL_STATUSES.includes(s));
  return [rule.cutoff, statuses, TERMINAL_STATUSES];
}

@Injectable()
export class RunRetentionRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /**
   * Up to `limit` expired executions, oldest first, after the key `after` (a previous batch's
   * last row): a row kept by a concurrent change is passed over, never read again in the pass.
   */
  async findExpired(rule: RetentionRule, limit: number, after?: { created: string; id: number }): Promise<ExpiredExecution[]> {
    const params = [...ruleParams(rule), limit];
    let keyset = '';
    if (after) {
      params.push(after.created, after.id);
      keyset = `AND (e.created, e.id) > ($5::timestamptz, $6::bigint)`;
    }
    const rows = rowsOf(
      await this.ds.query(
        `SELECT e.id, e.action_ref, e.status, e.created, e.created::text AS created_key FROM executions e
          WHERE ${EXPIRED} ${keyset}
          ORDER BY e.created, e.id LIMIT $4`,
        params,
      ),
    );
    return rows.map((r) => ({ id: Number(r.id), actionRef: String(r.action_ref), status: r.status as ExecutionStatus, created: r.created as Date, createdKey: String(r.created_key) }));
  }

  /** How many executions the rule removes, and how many log artifacts go with them (a dry run). */
  async countExpired(rule: RetentionRule): Promise<{ executions: number; logArtifacts: number }> {
    const [r] = rowsOf(
      await this.ds.query(
        `WITH x AS (SELECT e.id FROM executions e WHERE ${EXPIRED})
         SELECT (SELECT count(*) FROM x)::bigint AS executions,
                (SELECT count(*) FROM artifacts a JOIN x ON a.execution = x.id WHERE a.origin = 'log')::bigint AS log_artifacts`,
        ruleParams(rule),
      ),
    );
    return { executions: Number(r.executions), logArtifacts: Number(r.log_artifacts) };
  }

  /**
   * artifact-store: removes the logs of those of `ids` the rule still expires, in one short
   * transaction: live chunks, log streams, log artifacts and their versions. Answers the ids
   * whose logs are gone, the blobs released (to collect) and the chunk objects (to delete).
   */
  async purgeLogs(ids: number[], rule: RetentionRule): Promise<{ purged: number[]; logArtifacts: number; released: string[]; chunkKeys: string[] }> {
    return this.ds.transaction(async (m) => {
      const expired = rowsOf(
        await m.query(`SELECT e.id FROM executions e WHERE e.id = ANY($4::bigint[]) AND ${EXPIRED} FOR SHARE OF e`, [...ruleParams(rule), ids]),
      ).map((r) => Number(r.id));
      if (!expired.length) return { purged: [], logArtifacts: 0, released: [], chunkKeys: [] };
      const chunks = rowsOf(await m.query(`DELETE FROM execution_log_chunks WHERE execution = ANY($1::bigint[]) RETURNING blob_key`, [expired]));
      await m.query(`DELETE FROM execution_log_streams WHERE execution = ANY($1::bigint[])`, [expired]);
      const artifacts = rowsOf(await m.query(`SELECT id FROM artifacts WHERE execution = ANY($1::bigint[]) AND origin = 'log' FOR UPDATE`, [expired])).map((r) => Number(r.id));
      const versions = rowsOf(await m.query(`DELETE FROM artifact_versions WHERE artifact = ANY($1::bigint[]) RETURNING sha256`, [artifacts]));
      await m.query(`DELETE FROM artifacts WHERE id = ANY($1::bigint[])`, [artifacts]);
      return {
        purged: expired,
        logArtifacts: artifacts.length,
        released: [...new Set(versions.map((v) => String(v.sha256)))],
        chunkKeys: chunks.map((c) => String(c.blob_key)).filter((k) => k && k !== 'null'),
      };
    });
  }

  /**
   * executor: deletes those of `ids` the rule still expires and that have no artifact left (their
   * logs purged first). One statement over at most a batch of rows: locks are held briefly.
   */
  async deleteExecutions(ids: number[], rule: RetentionRule): Promise<number[]> {
    if (!ids.length) return [];
    const rows = rowsOf(
      await this.ds.query(
        `DELETE FROM executions e WHERE e.id = ANY($4::bigint[]) AND ${EXPIRED}
            AND NOT EXISTS (SELECT 1 FROM artifacts a WHERE a.execution = e.id)
          RETURNING e.id`,
        [...ruleParams(rule), ids],
      ),
    );
    return rows.map((r: Row) => Number(r.id));
  }

  /**
   * executor: deletes up to `limit` enforcements created before `cutoff` that are resolved and
   * that no remaining execution references. Answers how many.
   */
  async deleteEnforcements(cutoff: Date, limit: number): Promise<number> {
    const rows = rowsOf(
      await this.ds.query(
        `DELETE FROM enforcements WHERE id IN (
           SELECT f.id FROM enforcements f
            WHERE f.created < $1 AND f.status <> 'created'
              AND NOT EXISTS (SELECT 1 FROM executions x WHERE x.enforcement = f.id)
            ORDER BY f.id LIMIT $2 FOR UPDATE SKIP LOCKED)
         RETURNING id`,
        [cutoff, limit],
      ),
    );
    return rows.length;
  }

  /**
   * executor: deletes up to `limit` processed events created before `cutoff` that no remaining
   * enforcement or timer tick references. Answers how many.
   */
  async deleteEvents(cutoff: Date, limit: number): Promise<number> {
    const rows = rowsOf(
      await this.ds.query(
        `DELETE FROM events WHERE id IN (
           SELECT v.id FROM events v
            WHERE v.created < $1 AND v.processed_at IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM enforcements f WHERE f.event = v.id)
              AND NOT EXISTS (SELECT 1 FROM timer_ticks t WHERE t.event = v.id)
            ORDER BY v.id LIMIT $2 FOR UPDATE SKIP LOCKED)
         RETURNING id`,
        [cutoff, limit],
      ),
    );
    return rows.length;
  }
}
