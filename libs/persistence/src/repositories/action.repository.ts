import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { ActionEntity } from '../entities/action.entity';
import { PackEntity } from '../entities/pack.entity';

/** What Attune packs declare besides the basics; absent fields are stored empty. */
export type PackAttributes = Partial<Pick<PackEntity, 'confSchema' | 'config' | 'meta' | 'tags' | 'runtimeDeps' | 'dependencies'>>;
export type PackInput = Pick<PackEntity, 'ref' | 'label' | 'version' | 'description' | 'isStandard'> & PackAttributes;
export type ActionInput = Omit<ActionEntity, 'id' | 'packId' | 'packRef' | 'created' | 'updated' | 'onWorkerLost' | 'maxLogBytes' | 'isAdhoc'> &
  Partial<Pick<ActionEntity, 'onWorkerLost' | 'maxLogBytes' | 'isAdhoc'>>;

@Injectable()
export class PackRepository {
  constructor(@InjectRepository(PackEntity) private readonly repo: Repository<PackEntity>) {}

  findByRef(ref: string): Promise<PackEntity | null> {
    return this.repo.findOneBy({ ref });
  }

  findById(id: number): Promise<PackEntity | null> {
    return this.repo.findOneBy({ id });
  }

  async list(page: number, perPage: number): Promise<{ items: PackEntity[]; total: number }> {
    const [items, total] = await this.repo.findAndCount({ order: { ref: 'ASC' }, skip: (page - 1) * perPage, take: perPage });
    return { items, total };
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

@Injectable()
export class ActionRepository {
  constructor(@InjectRepository(ActionEntity) private readonly repo: Repository<ActionEntity>) {}

  findByRef(ref: string): Promise<ActionEntity | null> {
    return this.repo.findOneBy({ ref });
  }

  findById(id: number): Promise<ActionEntity | null> {
    return this.repo.findOneBy({ id });
  }

  async list(filter: { packRef?: string }, page: number, perPage: number): Promise<{ items: ActionEntity[]; total: number }> {
    const [items, total] = await this.repo.findAndCount({
      where: filter.packRef ? { packRef: filter.packRef } : {},
      order: { ref: 'ASC' },
      skip: (page - 1) * perPage,
      take: perPage,
    });
    return { items, total };
  }
}
