import type { ConditionMode, EnforcementStatus, RuleConditions } from '@attune/contracts';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { EnforcementEntity } from '../entities/enforcement.entity';
import { insertExecution, type NewExecution } from './execution.repository';
import { asListRequest, type ListPage, type ListRequest, ListConditions, listPage } from './list-page';
import { entityReader, type Row, rowsOf } from './rows';

export interface NewEnforcement {
  rule: number;
  ruleRef: string;
  triggerRef: string;
  event: number;
  condition: ConditionMode;
  conditions: RuleConditions;
}

export interface EnforcementFilter {
  ruleRef?: string;
  /** The rule's id (Attune's `?rule=`). */
  rule?: number;
  event?: number;
  status?: EnforcementStatus;
}

/** How an enforcement was resolved: what resolve()'s callback decides. */
export type EnforcementOutcome =
  | { status: 'processed'; config: Record<string, unknown>; execution: NewExecution }
  | { status: 'processed'; config: Record<string, unknown> | null; error: string }
  | { status: 'disabled'; config: Record<string, unknown> | null; error: string };

export interface Resolution {
  enforcement: EnforcementEntity;
  /** The id of the execution created by this call; null when none was (already resolved, or an error). */
  executionId: number | null;
  /** False when another delivery had resolved the enforcement already. */
  resolvedNow: boolean;
}

export const enforcementFromRow = entityReader(EnforcementEntity);

@Injectable()
export class EnforcementRepository {
  constructor(@InjectRepository(EnforcementEntity) private readonly repo: Repository<EnforcementEntity>) {}

  /**
   * Records that `rule` matched `event`, once: a second call for the same pair (a redelivered
   * event, two executors racing) answers the enforcement recorded first.
   */
  async createOnce(e: NewEnforcement): Promise<EnforcementEntity> {
    const inserted: Row[] = await this.repo.query(
      `INSERT INTO enforcements (rule, rule_ref, trigger_ref, event, condition, conditions)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (rule, event) DO NOTHING RETURNING *`,
      [e.rule, e.ruleRef, e.triggerRef, e.event, e.condition, JSON.stringify(e.conditions)],
    );
    if (inserted.length) return enforcementFromRow(inserted[0]);
    const existing: Row[] = await this.repo.query(`SELECT * FROM enforcements WHERE rule = $1 AND event = $2`, [e.rule, e.event]);
    return enforcementFromRow(existing[0]);
  }

  /**
   * Resolves a `created` enforcement exactly once. Under a row lock, `decide` chooses the outcome;
   * an execution it asks for is inserted (status `requested`) in the same transaction as the
   * status change, so a crash leaves either both or neither. When the enforcement is no longer
   * `created`, nothing is written and `decide` is not called.
   */
  async resolve(id: number, decide: (e: EnforcementEntity) => EnforcementOutcome): Promise<Resolution> {
    return this.repo.manager.transaction(async (em) => {
      const locked: Row[] = await em.query(`SELECT * FROM enforcements WHERE id = $1 FOR UPDATE`, [id]);
      if (!locked.length) throw new Error(`enforcement ${id} does not exist`);
      const current = enforcementFromRow(locked[0]);
      if (current.status !== 'created') return { enforcement: current, executionId: null, resolvedNow: false };
      const outcome = decide(current);
      const executionId = 'execution' in outcome ? Number((await insertExecution(em, { ...outcome.execution, enforcement: id })).id) : null;
      const error = 'error' in outcome ? outcome.error : null;
      const rows = rowsOf(
        await em.query(
          `UPDATE enforcements SET status = $2, config = $3, error = $4, resolved_at = now(), updated = now() WHERE id = $1 RETURNING *`,
          [id, outcome.status, outcome.config === null ? null : JSON.stringify(outcome.config), error],
        ),
      );
      return { enforcement: enforcementFromRow(rows[0]), executionId, resolvedNow: true };
    });
  }

  findById(id: number): Promise<EnforcementEntity | null> {
    return this.repo.findOneBy({ id });
  }

  /** One page, newest (highest id) first (list-page.ts). */
  list(filter: EnforcementFilter, reqOrPage: ListRequest | number, perPage?: number): Promise<ListPage<EnforcementEntity>> {
    const c = new ListConditions().equal(filter, { ruleRef: 'rule_ref', rule: 'rule', event: 'event', status: 'status' });
    return listPage((sql, params) => this.repo.query(sql, params), 'enforcements', c, 'id', asListRequest(reqOrPage, perPage), enforcementFromRow);
  }

  /** The ids of the executions each enforcement created, by enforcement id. */
  async executionIds(enforcementIds: number[]): Promise<Map<number, number[]>> {
    const map = new Map<number, number[]>(enforcementIds.map((id) => [id, []]));
    if (!enforcementIds.length) return map;
    const rows: Row[] = await this.repo.query(
      `SELECT enforcement, id FROM executions WHERE enforcement = ANY($1::bigint[]) ORDER BY id`,
      [enforcementIds],
    );
    for (const r of rows) map.get(Number(r.enforcement))?.push(Number(r.id));
    return map;
  }
}
