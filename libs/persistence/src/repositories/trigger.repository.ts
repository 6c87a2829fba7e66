import type { JsonSchemaObject } from '@attune/contracts';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { TriggerEntity } from '../entities/trigger.entity';
import type { PackInput } from './action.repository';
import { entityReader, type Row, rowsOf } from './rows';
import { RefRepository } from './ref-repository';

export interface NewTrigger {
  ref: string;
  packId: number;
  packRef: string;
  label: string;
  description: string | null;
  paramSchema: JsonSchemaObject | null;
  outSchema: JsonSchemaObject | null;
  enabled: boolean;
}

export type TriggerPatch = Partial<Pick<TriggerEntity, 'label' | 'description' | 'paramSchema' | 'outSchema' | 'enabled'>>;

export interface BuiltinTrigger {
  ref: string;
  label: string;
  description: string;
  paramSchema: JsonSchemaObject;
  outSchema: JsonSchemaObject;
}

const fromRow = entityReader(TriggerEntity);

const COLUMNS: Record<keyof TriggerPatch, string> = {
  label: 'label',
  description: 'description',
  paramSchema: 'param_schema',
  outSchema: 'out_schema',
  enabled: 'enabled',
};

@Injectable()
export class TriggerRepository extends RefRepository<TriggerEntity> {
  constructor(@InjectRepository(TriggerEntity) repo: Repository<TriggerEntity>) {
    super(repo);
  }

  findByWebhookKey(key: string): Promise<TriggerEntity | null> {
    return this.repo.findOneBy({ webhookKey: key, webhookEnabled: true });
  }

  list(filter: { packRef?: string }, page: number, perPage: number): Promise<{ items: TriggerEntity[]; total: number }> {
    return this.pageByRef(filter.packRef, page, perPage);
  }

  /** Throws the driver's unique violation (see isUniqueViolation) when the ref is taken. */
  async create(t: NewTrigger): Promise<TriggerEntity> {
    const rows: Row[] = await this.repo.query(
      `INSERT INTO triggers (ref, pack_id, pack_ref, label, description, param_schema, out_schema, enabled)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
      [t.ref, t.packId, t.packRef, t.label, t.description, json(t.paramSchema), json(t.outSchema), t.enabled],
    );
    return fromRow(rows[0]);
  }

  async update(id: number, patch: TriggerPatch): Promise<TriggerEntity | null> {
    const sets = ['updated = now()'];
    const params: unknown[] = [id];
    for (const [key, column] of Object.entries(COLUMNS) as [keyof TriggerPatch, string][]) {
      if (patch[key] === undefined) continue;
      const value = key === 'paramSchema' || key === 'outSchema' ? json(patch[key] as JsonSchemaObject | null) : patch[key];
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    }
    const rows = rowsOf(await this.repo.query(`UPDATE triggers SET ${sets.join(', ')} WHERE id = $1 RETURNING *`, params));
    return rows.length ? fromRow(rows[0]) : null;
  }

  /** Enables the webhook with `key`, keeping a key already issued; disabling forgets the key. */
  async setWebhook(id: number, enabled: boolean, key: string): Promise<TriggerEntity | null> {
    const rows = rowsOf(
      await this.repo.query(
        enabled
          ? `UPDATE triggers SET webhook_enabled = true, webhook_key = COALESCE(webhook_key, $2), updated = now() WHERE id = $1 RETURNING *`
          : `UPDATE triggers SET webhook_enabled = false, webhook_key = NULL, updated = now() WHERE id = $1 RETURNING *`,
        enabled ? [id, key] : [id],
      ),
    );
    return rows.length ? fromRow(rows[0]) : null;
  }

  async delete(id: number): Promise<boolean> {
    const rows = rowsOf(await this.repo.query(`DELETE FROM triggers WHERE id = $1 RETURNING id`, [id]));
    return rows.length > 0;
  }

  /**
   * Registers built-in triggers under `pack` (created when missing, left as it is otherwise):
   * running it again at every start changes nothing but refreshed descriptions and schemas.
   */
  async upsertBuiltins(pack: PackInput, triggers: BuiltinTrigger[]): Promise<void> {
    await this.repo.manager.transaction(async (em) => {
      await em.query(
        `INSERT INTO packs (ref, label, version, description, is_standard) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (ref) DO NOTHING`,
        [pack.ref, pack.label, pack.version, pack.description, pack.isStandard],
      );
      const [{ id: packId }] = (await em.query(`SELECT id FROM packs WHERE ref = $1`, [pack.ref])) as { id: number }[];
      for (const t of triggers) {
        await em.query(
          `INSERT INTO triggers (ref, pack_id, pack_ref, label, description, param_schema, out_schema, is_builtin)
           VALUES ($1, $2, $3, $4, $5, $6, $7, true)
           ON CONFLICT (ref) DO UPDATE SET pack_id = EXCLUDED.pack_id, pack_ref = EXCLUDED.pack_ref, label = EXCLUDED.label,
             description = EXCLUDED.description, param_schema = EXCLUDED.param_schema, out_schema = EXCLUDED.out_schema,
             is_builtin = true, enabled = true, webhook_enabled = false, webhook_key = NULL, updated = now()
           WHERE (triggers.label, triggers.description, triggers.param_schema, triggers.out_schema, triggers.is_builtin)
             IS DISTINCT FROM (EXCLUDED.label, EXCLUDED.description, EXCLUDED.param_schema, EXCLUDED.out_schema, true)`,
          [t.ref, packId, pack.ref, t.label, t.description, json(t.paramSchema), json(t.outSchema)],
        );
      }
    });
  }
}

function json(v: unknown): string | null {
  return v === null || v === undefined ? null : JSON.stringify(v);
}
