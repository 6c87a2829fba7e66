import type { ConditionMode, RuleConditions } from '@attune/contracts';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { RuleEntity } from '../entities/rule.entity';
import { entityReader, type Row, rowsOf } from './rows';
import { RefRepository } from './ref-repository';

export interface NewRule {
  ref: string;
  packId: number;
  packRef: string;
  label: string;
  description: string | null;
  trigger: number;
  triggerRef: string;
  action: number;
  actionRef: string;
  triggerParams: Record<string, unknown>;
  actionParams: Record<string, unknown>;
  conditions: RuleConditions;
  condition: ConditionMode;
  enabled: boolean;
}

export type RulePatch = Partial<Omit<NewRule, 'ref' | 'packId' | 'packRef'>>;

export interface RuleFilter {
  packRef?: string;
  triggerRef?: string;
  actionRef?: string;
  enabled?: boolean;
}

const fromRow = entityReader(RuleEntity);

const COLUMNS: Record<keyof RulePatch, { column: string; json?: boolean }> = {
  label: { column: 'label' },
  description: { column: 'description' },
  trigger: { column: 'trigger' },
  triggerRef: { column: 'trigger_ref' },
  action: { column: 'action' },
  actionRef: { column: 'action_ref' },
  triggerParams: { column: 'trigger_params', json: true },
  actionParams: { column: 'action_params', json: true },
  conditions: { column: 'conditions', json: true },
  condition: { column: 'condition' },
  enabled: { column: 'enabled' },
};

@Injectable()
export class RuleRepository extends RefRepository<RuleEntity> {
  constructor(@InjectRepository(RuleEntity) repo: Repository<RuleEntity>) {
    super(repo);
  }

  async list(filter: RuleFilter, page: number, perPage: number): Promise<{ items: RuleEntity[]; total: number }> {
    const where: Record<string, unknown> = {};
    if (filter.packRef) where.packRef = filter.packRef;
    if (filter.triggerRef) where.triggerRef = filter.triggerRef;
    if (filter.actionRef) where.actionRef = filter.actionRef;
    if (filter.enabled !== undefined) where.enabled = filter.enabled;
    const [items, total] = await this.repo.findAndCount({ where, order: { ref: 'ASC' }, skip: (page - 1) * perPage, take: perPage });
    return { items, total };
  }

  /** Enabled rules listening to a trigger: what an event of that trigger is matched against. */
  async findEnabledByTriggerRef(triggerRef: string): Promise<RuleEntity[]> {
    const rows: Row[] = await this.repo.query(`SELECT * FROM rules WHERE enabled AND trigger_ref = $1 ORDER BY id`, [triggerRef]);
    return rows.map(fromRow);
  }

  /** Enabled rules on any of `triggerRefs` (the timers' poll). */
  async findEnabledByTriggerRefs(triggerRefs: readonly string[]): Promise<RuleEntity[]> {
    const rows: Row[] = await this.repo.query(`SELECT * FROM rules WHERE enabled AND trigger_ref = ANY($1::text[]) ORDER BY id`, [triggerRefs]);
    return rows.map(fromRow);
  }

  countByTrigger(triggerId: number): Promise<number> {
    return this.repo.countBy({ trigger: triggerId });
  }

  /** Throws the driver's unique violation (see isUniqueViolation) when the ref is taken. */
  async create(r: NewRule): Promise<RuleEntity> {
    const rows: Row[] = await this.repo.query(
      `INSERT INTO rules (ref, pack_id, pack_ref, label, description, trigger, trigger_ref, action, action_ref,
         trigger_params, action_params, conditions, condition, enabled)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING *`,
      [
        r.ref, r.packId, r.packRef, r.label, r.description, r.trigger, r.triggerRef, r.action, r.actionRef,
        JSON.stringify(r.triggerParams), JSON.stringify(r.actionParams), JSON.stringify(r.conditions), r.condition, r.enabled,
      ],
    );
    return fromRow(rows[0]);
  }

  /**
   * Applies the given fields. `updated` always moves, and it anchors a timer rule's schedule:
   * an edited or re-enabled timer starts counting again from now.
   */
  async update(id: number, patch: RulePatch): Promise<RuleEntity | null> {
    const sets = ['updated = now()'];
    const params: unknown[] = [id];
    for (const [key, spec] of Object.entries(COLUMNS) as [keyof RulePatch, { column: string; json?: boolean }][]) {
      if (patch[key] === undefined) continue;
      params.push(spec.json ? JSON.stringify(patch[key]) : patch[key]);
      sets.push(`${spec.column} = $${params.length}`);
    }
    const rows = rowsOf(await this.repo.query(`UPDATE rules SET ${sets.join(', ')} WHERE id = $1 RETURNING *`, params));
    return rows.length ? fromRow(rows[0]) : null;
  }

  /** Sets `enabled`; a rule already in that state is left untouched (its timer keeps its phase). */
  async setEnabled(id: number, enabled: boolean): Promise<RuleEntity | null> {
    const rows = rowsOf(
      await this.repo.query(
        `WITH changed AS (UPDATE rules SET enabled = $2, updated = now() WHERE id = $1 AND enabled <> $2 RETURNING *)
         SELECT * FROM changed UNION ALL SELECT * FROM rules WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM changed)`,
        [id, enabled],
      ),
    );
    return rows.length ? fromRow(rows[0]) : null;
  }

  async delete(id: number): Promise<boolean> {
    const rows = rowsOf(await this.repo.query(`DELETE FROM rules WHERE id = $1 RETURNING id`, [id]));
    return rows.length > 0;
  }
}
