import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { ActionEntity } from '../entities/action.entity';
import { PackEntity } from '../entities/pack.entity';
import { RefRepository } from './ref-repository';

/** What Attune packs declare besides the basics; absent fields are stored empty. */
export type PackAttributes = Partial<Pick<PackEntity, 'confSchema' | 'config' | 'meta' | 'tags' | 'runtimeDeps' | 'dependencies'>>;
export type PackInput = Pick<PackEntity, 'ref' | 'label' | 'version' | 'description' | 'isStandard'> & PackAttributes;
type OptionalActionFields = 'onWorkerLost' | 'maxLogBytes' | 'isAdhoc' | 'workflowDefinition' | 'workflowVersion' | 'tags' | 'artifacts';
export type ActionInput = Omit<ActionEntity, 'id' | 'packId' | 'packRef' | 'created' | 'updated' | OptionalActionFields> &
  Partial<Pick<ActionEntity, OptionalActionFields>>;

@Injectable()
export class PackRepository extends RefRepository<PackEntity> {
  constructor(@InjectRepository(PackEntity) repo: Repository<PackEntity>) {
    super(repo);
  }

  list(page: number, perPage: number): Promise<{ items: PackEntity[]; total: number }> {
    return this.pageByRef(undefined, page, perPage);
  }

  /**
   * Registers a pack and its actions in one transaction: the pack row is upserted, each action
   * upserted by ref. Used at startup for built-in packs, so running it twice changes nothing.
   */
  async upsertWithActions(pack: PackInput, actions: ActionInput[]): Promise<PackEntity> {
    return this.repo.manager.transaction(async (em) => {
      // Explicit SQL: TypeORM's upsert() would also overwrite the generated id on conflict.
      await em.query(
        `INSERT INTO packs (ref, label, version, description, is_standard) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (ref) DO UPDATE SET label = EXCLUDED.label, version = EXCLUDED.version,
           description = EXCLUDED.description, is_standard = EXCLUDED.is_standard, updated = now()`,
        [pack.ref, pack.label, pack.version, pack.description, pack.isStandard],
      );
      const saved = await em.findOneByOrFail(PackEntity, { ref: pack.ref });
      for (const a of actions) {
        await em.query(
          `INSERT INTO actions (ref, pack_id, pack_ref, label, description, runtime, entrypoint, entrypoint_inline,
             param_schema, out_schema, output_format, timeout_seconds, enabled, on_worker_lost)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
           ON CONFLICT (ref) DO UPDATE SET pack_id = EXCLUDED.pack_id, pack_ref = EXCLUDED.pack_ref,
             label = EXCLUDED.label, description = EXCLUDED.description, runtime = EXCLUDED.runtime,
             entrypoint = EXCLUDED.entrypoint, entrypoint_inline = EXCLUDED.entrypoint_inline,
             param_schema = EXCLUDED.param_schema, out_schema = EXCLUDED.out_schema,
             output_format = EXCLUDED.output_format, timeout_seconds = EXCLUDED.timeout_seconds,
             enabled = EXCLUDED.enabled, on_worker_lost = EXCLUDED.on_worker_lost, updated = now()`,
          [
            a.ref, saved.id, saved.ref, a.label, a.description, a.runtime, a.entrypoint, a.entrypointInline,
            JSON.stringify(a.paramSchema), a.outSchema === null ? null : JSON.stringify(a.outSchema),
            a.outputFormat, a.timeoutSeconds, a.enabled, a.onWorkerLost ?? 'abandon',
          ],
        );
      }
      return saved;
    });
  }
}

export interface WorkflowFilter {
  packRef?: string;
  tags?: string[];
  enabled?: boolean;
  search?: string;
}

@Injectable()
export class ActionRepository extends RefRepository<ActionEntity> {
  constructor(@InjectRepository(ActionEntity) repo: Repository<ActionEntity>) {
    super(repo);
  }

  /** Which of `refs` name an action (workflows included). */
  async existingRefs(refs: string[]): Promise<Set<string>> {
    if (!refs.length) return new Set();
    const rows: Array<{ ref: string }> = await this.repo.query(`SELECT ref FROM actions WHERE ref = ANY($1::text[])`, [refs]);
    return new Set(rows.map((r) => r.ref));
  }

  /**
   * Workflows (actions with runtime `workflow`), by ref. `tags`: those carrying any of them;
   * `search`: a case-insensitive substring of the ref, label or description.
   */
  async listWorkflows(filter: WorkflowFilter, page: number, perPage: number): Promise<{ items: ActionEntity[]; total: number }> {
    const qb = this.repo.createQueryBuilder('a').where(`a.runtime = 'workflow'`);
    if (filter.packRef) qb.andWhere('a.pack_ref = :packRef', { packRef: filter.packRef });
    if (filter.enabled !== undefined) qb.andWhere('a.enabled = :enabled', { enabled: filter.enabled });
    if (filter.tags?.length) qb.andWhere('a.tags ?| CAST(:tags AS text[])', { tags: filter.tags });
    if (filter.search) {
      // LIKE wildcards in the text are matched literally.
      const pattern = `%${filter.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      qb.andWhere(`(a.ref ILIKE :pattern OR a.label ILIKE :pattern OR coalesce(a.description, '') ILIKE :pattern)`, { pattern });
    }
    const [items, total] = await qb.orderBy('a.ref', 'ASC').skip((page - 1) * perPage).take(perPage).getManyAndCount();
    return { items, total };
  }

  list(filter: { packRef?: string }, page: number, perPage: number): Promise<{ items: ActionEntity[]; total: number }> {
    return this.pageByRef(filter.packRef, page, perPage);
  }
}
