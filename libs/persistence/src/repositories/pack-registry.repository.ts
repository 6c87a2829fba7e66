import { TERMINAL_STATUSES } from '@attune/contracts';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { ActionEntity } from '../entities/action.entity';
import { PackEntity } from '../entities/pack.entity';
import { type PackFile, PackVersionEntity } from '../entities/pack-version.entity';
import type { ActionInput, PackAttributes, PackInput } from './action.repository';
import { rowsOf } from './rows';

export interface NewPackVersion {
  digest: string;
  sizeBytes: number;
  blobKey: string;
  files: PackFile[];
  uploadedBy: number | null;
}

export type PackPatch = Partial<Pick<PackEntity, 'label' | 'version' | 'description'>> & PackAttributes;
export type ActionPatch = Partial<ActionInput>;

/** Why a registry write was refused; the api turns these into 404/409 answers. */
export type RegistryRefusal =
  | { refused: 'not_found' }
  | { refused: 'exists' }
  | { refused: 'standard_pack' }
  /** Executions that have not finished still use these actions. */
  | { refused: 'active_executions'; actions: string[] }
  /** Saved workflows name the action in a task: deleting it would break them. */
  | { refused: 'used_by_workflows'; workflows: string[] };

export interface UploadRegistered {
  pack: PackEntity;
  version: PackVersionEntity;
  /** False when identical bytes had been uploaded for this pack before. */
  newVersion: boolean;
  actions: ActionEntity[];
  /** Actions the new archive no longer has, deleted. */
  removedActions: string[];
}

class Refused extends Error {
  constructor(readonly refusal: RegistryRefusal) {
    super(refusal.refused);
  }
}

const ACTION_COLUMNS = `ref, pack_id, pack_ref, label, description, runtime, entrypoint, entrypoint_inline,
  param_schema, out_schema, output_format, timeout_seconds, enabled, on_worker_lost, is_adhoc,
  workflow_definition, workflow_version, tags, artifacts`;
const ACTION_PLACEHOLDERS = Array.from({ length: 19 }, (_, i) => `$${i + 1}`).join(', ');

/** The pack's Attune attributes as SQL parameters ($n..$n+5), in PACK_ATTRIBUTE_COLUMNS order; absent ones empty. */
const PACK_ATTRIBUTE_COLUMNS = 'conf_schema, config, meta, tags, runtime_deps, dependencies';
function packAttributeParams(p: PackInput): string[] {
  return [p.confSchema ?? {}, p.config ?? {}, p.meta ?? {}, p.tags ?? [], p.runtimeDeps ?? [], p.dependencies ?? []].map((v) => JSON.stringify(v));
}

function actionParams(a: ActionInput, packId: number, packRef: string): unknown[] {
  return [
    a.ref, packId, packRef, a.label, a.description, a.runtime, a.entrypoint, a.entrypointInline,
    JSON.stringify(a.paramSchema), a.outSchema === null ? null : JSON.stringify(a.outSchema),
    a.outputFormat, a.timeoutSeconds, a.enabled, a.onWorkerLost ?? 'abandon', a.isAdhoc ?? false,
    a.workflowDefinition ? JSON.stringify(a.workflowDefinition) : null, a.workflowVersion ?? null, JSON.stringify(a.tags ?? []),
    JSON.stringify(a.artifacts ?? []),
  ];
}

/**
 * The writes of the pack and action registry. Each is one transaction, and every rule that
 * depends on other rows (no deleting what running executions use, no overwriting a built-in
 * pack) is checked inside it, under row locks.
 */
@Injectable()
export class PackRegistryRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async createPack(input: PackInput): Promise<PackEntity | RegistryRefusal> {
    const rows = await this.ds.query(
      `INSERT INTO packs (ref, label, version, description, is_standard, ${PACK_ATTRIBUTE_COLUMNS})
       VALUES ($1, $2, $3, $4, false, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (ref) DO NOTHING RETURNING id`,
      [input.ref, input.label, input.version, input.description, ...packAttributeParams(input)],
    );
    if (!rows.length) return { refused: 'exists' };
    return this.ds.manager.findOneByOrFail(PackEntity, { ref: input.ref });
  }

  async updatePack(ref: string, patch: PackPatch): Promise<PackEntity | RegistryRefusal> {
    return this.inTransaction(async (em) => {
      const pack = await this.lockPack(em, ref);
      if (pack.isStandard) throw new Refused({ refused: 'standard_pack' });
      const sets: string[] = [];
      const params: unknown[] = [pack.id];
      const columns: Array<[string, unknown]> = [
        ['label', patch.label], ['version', patch.version], ['description', patch.description],
        ['conf_schema', patch.confSchema], ['config', patch.config], ['meta', patch.meta], ['tags', patch.tags],
        ['runtime_deps', patch.runtimeDeps], ['dependencies', patch.dependencies],
      ];
      for (const [column, value] of columns) {
        if (value === undefined) continue;
        params.push(typeof value === 'object' && value !== null ? JSON.stringify(value) : value);
        sets.push(`${column} = $${params.length}`);
      }
      if (sets.length) await em.query(`UPDATE packs SET ${sets.join(', ')}, updated = now() WHERE id = $1`, params);
      return em.findOneByOrFail(PackEntity, { id: pack.id });
    });
  }

  /** Deletes a pack with its actions and versions; answers the blob keys no row refers to any more. */
  /**
   * Saved workflows with a task that runs an action being deleted, other than those deleted with
   * it: `where` picks the actions `a` and excludes the workflows `w` that go too.
   */
  private async workflowsUsing(em: EntityManager, where: string, params: unknown[]): Promise<string[]> {
    const rows = rowsOf<{ ref: string }>(
      await em.query(
        `SELECT DISTINCT w.ref FROM actions w
           CROSS JOIN LATERAL jsonb_array_elements(
             CASE WHEN jsonb_typeof(w.workflow_definition->'tasks') = 'array' THEN w.workflow_definition->'tasks' ELSE '[]'::jsonb END) t
           JOIN actions a ON a.ref = t->>'action'
          WHERE w.workflow_definition IS NOT NULL AND ${where}
          ORDER BY w.ref`,
        params,
      ),
    );
    return rows.map((r) => r.ref);
  }

  async deletePack(ref: string): Promise<{ blobKeys: string[] } | RegistryRefusal> {
    return this.inTransaction(async (em) => {
      const pack = await this.lockPack(em, ref);
      if (pack.isStandard) throw new Refused({ refused: 'standard_pack' });
      const busy = await this.actionsInUse(em, 'a.pack_id = $2', [pack.id]);
      if (busy.length) throw new Refused({ refused: 'active_executions', actions: busy });
      const users = await this.workflowsUsing(em, 'a.pack_id = $1 AND w.pack_id <> $1', [pack.id]);
      if (users.length) throw new Refused({ refused: 'used_by_workflows', workflows: users });
      const versions: Array<{ blob_key: string }> = await em.query(`SELECT blob_key FROM pack_versions WHERE pack_id = $1`, [pack.id]);
      await em.query(`DELETE FROM packs WHERE id = $1`, [pack.id]);
      return { blobKeys: versions.map((v) => v.blob_key) };
    });
  }

  async createAction(packRef: string, input: ActionInput): Promise<ActionEntity | RegistryRefusal> {
    return this.inTransaction(async (em) => {
      const pack = await this.lockPack(em, packRef, 'FOR SHARE');
      if (pack.isStandard) throw new Refused({ refused: 'standard_pack' });
      const rows = await em.query(
        `INSERT INTO actions (${ACTION_COLUMNS}) VALUES (${ACTION_PLACEHOLDERS})
         ON CONFLICT (ref) DO NOTHING RETURNING id`,
        actionParams(input, pack.id, pack.ref),
      );
      if (!rows.length) throw new Refused({ refused: 'exists' });
      return em.findOneByOrFail(ActionEntity, { ref: input.ref });
    });
  }

  async updateAction(ref: string, patch: ActionPatch): Promise<ActionEntity | RegistryRefusal> {
    return this.inTransaction(async (em) => {
      const action = await this.lockAction(em, ref);
      if (await this.isStandardPack(em, action.packId)) throw new Refused({ refused: 'standard_pack' });
      const columns: Array<[string, unknown]> = [
        ['label', patch.label],
        ['description', patch.description],
        ['runtime', patch.runtime],
        ['entrypoint', patch.entrypoint],
        ['entrypoint_inline', patch.entrypointInline],
        ['param_schema', patch.paramSchema === undefined ? undefined : JSON.stringify(patch.paramSchema)],
        ['out_schema', patch.outSchema === undefined ? undefined : patch.outSchema === null ? null : JSON.stringify(patch.outSchema)],
        ['output_format', patch.outputFormat],
        ['timeout_seconds', patch.timeoutSeconds],
        ['enabled', patch.enabled],
        ['on_worker_lost', patch.onWorkerLost],
        ['workflow_definition', patch.workflowDefinition === undefined ? undefined : patch.workflowDefinition === null ? null : JSON.stringify(patch.workflowDefinition)],
        ['workflow_version', patch.workflowVersion],
        ['tags', patch.tags === undefined ? undefined : JSON.stringify(patch.tags)],
        ['artifacts', patch.artifacts === undefined ? undefined : JSON.stringify(patch.artifacts)],
      ];
      const sets: string[] = [];
      const params: unknown[] = [action.id];
      for (const [column, value] of columns) {
        if (value === undefined) continue;
        params.push(value);
        sets.push(`${column} = $${params.length}`);
      }
      if (sets.length) await em.query(`UPDATE actions SET ${sets.join(', ')}, updated = now() WHERE id = $1`, params);
      return em.findOneByOrFail(ActionEntity, { id: action.id });
    });
  }

  async deleteAction(ref: string): Promise<{ deleted: true } | RegistryRefusal> {
    return this.inTransaction(async (em) => {
      const action = await this.lockAction(em, ref);
      if (await this.isStandardPack(em, action.packId)) throw new Refused({ refused: 'standard_pack' });
      const busy = await this.actionsInUse(em, 'a.id = $2', [action.id]);
      if (busy.length) throw new Refused({ refused: 'active_executions', actions: busy });
      const users = await this.workflowsUsing(em, 'a.id = $1 AND w.id <> $1', [action.id]);
      if (users.length) throw new Refused({ refused: 'used_by_workflows', workflows: users });
      await em.query(`DELETE FROM actions WHERE id = $1`, [action.id]);
      return { deleted: true as const };
    });
  }

  /**
   * Registers an uploaded archive: the pack row (its current digest), the version row, and the
   * actions, which become exactly those of the archive. Actions it no longer has are deleted,
   * unless unfinished executions or saved workflows of other packs still use them, which refuses
   * the whole upload.
   */
  async registerUpload(pack: PackInput, actions: ActionInput[], version: NewPackVersion): Promise<UploadRegistered | RegistryRefusal> {
    return this.inTransaction(async (em) => {
      const upserted = rowsOf<{ id: number }>(
        await em.query(
          `INSERT INTO packs (ref, label, version, description, is_standard, digest, ${PACK_ATTRIBUTE_COLUMNS})
           VALUES ($1, $2, $3, $4, false, $5, $6, $7, $8, $9, $10, $11)
           ON CONFLICT (ref) DO UPDATE SET label = EXCLUDED.label, version = EXCLUDED.version,
             description = EXCLUDED.description, digest = EXCLUDED.digest,
             conf_schema = EXCLUDED.conf_schema, config = EXCLUDED.config, meta = EXCLUDED.meta, tags = EXCLUDED.tags,
             runtime_deps = EXCLUDED.runtime_deps, dependencies = EXCLUDED.dependencies, updated = now()
           WHERE packs.is_standard = false
           RETURNING id`,
          [pack.ref, pack.label, pack.version, pack.description, version.digest, ...packAttributeParams(pack)],
        ),
      );
      if (!upserted.length) throw new Refused({ refused: 'standard_pack' });
      const packId = Number(upserted[0].id);
      const inserted = await em.query(
        `INSERT INTO pack_versions (pack_id, pack_ref, version, digest, size_bytes, blob_key, files, uploaded_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (pack_id, digest) DO NOTHING RETURNING id`,
        [packId, pack.ref, pack.version, version.digest, version.sizeBytes, version.blobKey, JSON.stringify(version.files), version.uploadedBy],
      );
      const keep = actions.map((a) => a.ref);
      const gone: Array<{ id: number; ref: string }> = await em.query(
        `SELECT id, ref FROM actions WHERE pack_id = $1 AND NOT (ref = ANY($2::text[])) FOR UPDATE`,
        [packId, keep],
      );
      if (gone.length) {
        const busy = await this.actionsInUse(em, 'a.id = ANY($2::bigint[])', [gone.map((g) => g.id)]);
        if (busy.length) throw new Refused({ refused: 'active_executions', actions: busy });
        const users = await this.workflowsUsing(em, 'a.id = ANY($1::bigint[]) AND w.pack_id <> $2', [gone.map((g) => g.id), packId]);
        if (users.length) throw new Refused({ refused: 'used_by_workflows', workflows: users });
        await em.query(`DELETE FROM actions WHERE id = ANY($1::bigint[])`, [gone.map((g) => g.id)]);
      }
      for (const a of actions) {
        await em.query(
          `INSERT INTO actions (${ACTION_COLUMNS}) VALUES (${ACTION_PLACEHOLDERS})
           ON CONFLICT (ref) DO UPDATE SET pack_id = EXCLUDED.pack_id, pack_ref = EXCLUDED.pack_ref,
             label = EXCLUDED.label, description = EXCLUDED.description, runtime = EXCLUDED.runtime,
             entrypoint = EXCLUDED.entrypoint, entrypoint_inline = EXCLUDED.entrypoint_inline,
             param_schema = EXCLUDED.param_schema, out_schema = EXCLUDED.out_schema,
             output_format = EXCLUDED.output_format, timeout_seconds = EXCLUDED.timeout_seconds,
             enabled = EXCLUDED.enabled, on_worker_lost = EXCLUDED.on_worker_lost, is_adhoc = false,
             workflow_definition = EXCLUDED.workflow_definition, workflow_version = EXCLUDED.workflow_version,
             tags = EXCLUDED.tags, artifacts = EXCLUDED.artifacts, updated = now()`,
          actionParams(a, packId, pack.ref),
        );
      }
      return {
        pack: await em.findOneByOrFail(PackEntity, { id: packId }),
        version: await em.findOneByOrFail(PackVersionEntity, { packId, digest: version.digest }),
        newVersion: inserted.length > 0,
        actions: await em.find(ActionEntity, { where: { packId }, order: { ref: 'ASC' } }),
        removedActions: gone.map((g) => g.ref).sort(),
      };
    });
  }

  listVersions(packId: number): Promise<PackVersionEntity[]> {
    return this.ds.manager.find(PackVersionEntity, { where: { packId }, order: { created: 'DESC', id: 'DESC' } });
  }

  findVersion(packRef: string, digest: string): Promise<PackVersionEntity | null> {
    return this.ds.manager.findOneBy(PackVersionEntity, { packRef, digest });
  }

  /** Whether any pack version still refers to the blob (a deleted pack's archive may be shared by none). */
  async blobInUse(blobKey: string): Promise<boolean> {
    const rows = await this.ds.query(`SELECT 1 FROM pack_versions WHERE blob_key = $1 LIMIT 1`, [blobKey]);
    return rows.length > 0;
  }

  private async inTransaction<T>(work: (em: EntityManager) => Promise<T>): Promise<T | RegistryRefusal> {
    try {
      return await this.ds.transaction(work);
    } catch (err) {
      if (err instanceof Refused) return err.refusal;
      throw err;
    }
  }

  private async lockPack(em: EntityManager, ref: string, mode: 'FOR UPDATE' | 'FOR SHARE' = 'FOR UPDATE'): Promise<PackEntity> {
    const rows: Array<{ id: number }> = await em.query(`SELECT id FROM packs WHERE ref = $1 ${mode}`, [ref]);
    if (!rows.length) throw new Refused({ refused: 'not_found' });
    return em.findOneByOrFail(PackEntity, { id: Number(rows[0].id) });
  }

  private async lockAction(em: EntityManager, ref: string): Promise<ActionEntity> {
    const rows: Array<{ id: number }> = await em.query(`SELECT id FROM actions WHERE ref = $1 FOR UPDATE`, [ref]);
    if (!rows.length) throw new Refused({ refused: 'not_found' });
    return em.findOneByOrFail(ActionEntity, { id: Number(rows[0].id) });
  }

  private async isStandardPack(em: EntityManager, packId: number): Promise<boolean> {
    const rows: Array<{ is_standard: boolean }> = await em.query(`SELECT is_standard FROM packs WHERE id = $1`, [packId]);
    return rows[0]?.is_standard === true;
  }

  /** Refs of the actions matching `where` (over `actions a`) that unfinished executions use. */
  private async actionsInUse(em: EntityManager, where: string, params: unknown[]): Promise<string[]> {
    const rows: Array<{ ref: string }> = await em.query(
      `SELECT DISTINCT a.ref FROM actions a JOIN executions e ON e.action = a.id
        WHERE e.status <> ALL($1::text[]) AND ${where} ORDER BY a.ref`,
      [TERMINAL_STATUSES, ...params],
    );
    return rows.map((r) => r.ref);
  }
}

export function isRefusal(value: unknown): value is RegistryRefusal {
  return typeof value === 'object' && value !== null && 'refused' in value;
}
