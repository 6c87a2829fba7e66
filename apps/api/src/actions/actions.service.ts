import { DomainError } from '@attune/contracts';
import { type ActionDefinition, buildActionDefinition, resolveRuntime } from '@attune/packs';
import { type ActionEntity, ActionRepository, isRefusal, PackRegistryRepository, PackRepository } from '@attune/persistence';
import { Injectable, Logger } from '@nestjs/common';
import { refusalError } from '../packs/packs.service';
import { type CreateActionDto, IGNORED_ATTUNE_ACTION_FIELDS, type UpdateActionDto } from './action.dto';
import { found } from '../common/found';

/**
 * An action body written for Attune, in this platform's terms: a numeric `runtime` (Attune's
 * runtime id) is dropped in favour of `runtime_ref` or inference; `required_worker_runtimes`
 * names the runtime when nothing else does and it lists exactly one; the other Attune-only
 * fields are dropped (accepted and ignored, see docs/compatibility.md).
 */
export function attuneToOwn(raw: Record<string, unknown>): Record<string, unknown> {
  const out = { ...raw };
  // Attune's clients send their numeric runtime id, or null, here.
  if (typeof out.runtime === 'number' || out.runtime === null) delete out.runtime;
  if (out.runtime_ref === null) delete out.runtime_ref;
  const required = out.required_worker_runtimes;
  if (out.runtime === undefined && out.runtime_ref === undefined && required && typeof required === 'object' && !Array.isArray(required)) {
    const runtimes = [...new Set(Object.keys(required).map((k) => resolveRuntime(k)).filter((r) => r !== undefined))];
    if (runtimes.length === 1) out.runtime = runtimes[0];
  }
  for (const key of IGNORED_ATTUNE_ACTION_FIELDS) delete out[key];
  return out;
}

/**
 * A workflow needs its definition, which this route does not take: workflows are written
 * through /api/v1/workflows (or a pack), which validate the definition. Refused with 422 on
 * `runtime`, for new actions and for changes to an existing workflow alike.
 */
export const WORKFLOWS_ELSEWHERE =
  'workflows are created and changed with /api/v1/workflows (POST with the definition, PUT /api/v1/workflows/{ref}) or in a pack; not through /api/v1/actions';

@Injectable()
export class ActionsService {
  private readonly logger = new Logger(ActionsService.name);

  constructor(
    private readonly actions: ActionRepository,
    private readonly packs: PackRepository,
    private readonly registry: PackRegistryRepository,
  ) {}

  list(packRef: string | undefined, page: number, perPage: number) {
    return this.actions.list({ packRef }, page, perPage);
  }

  async get(ref: string): Promise<ActionEntity> {
    return found(await this.actions.findByRef(ref), `action "${ref}"`);
  }

  async create(dto: CreateActionDto): Promise<ActionEntity> {
    const packRef = dto.ref.split('.')[0];
    const definition = await this.define(packRef, attuneToOwn({ ...dto }));
    const out = await this.registry.createAction(packRef, { ...definition, isAdhoc: true });
    if (isRefusal(out)) throw refusalError(out, out.refused === 'not_found' ? `pack "${packRef}"` : `action "${dto.ref}"`);
    this.logger.log({ action: out.ref }, 'action created');
    return out;
  }

  /** The stored action with the changes applied must pass the same checks as a new one. */
  async update(ref: string, dto: UpdateActionDto): Promise<ActionEntity> {
    const current = await this.get(ref);
    const merged: Record<string, unknown> = {
      ref: current.ref,
      label: current.label,
      description: current.description,
      runtime: current.runtime,
      entrypoint: current.entrypoint,
      param_schema: current.paramSchema,
      out_schema: current.outSchema,
      output_format: current.outputFormat,
      timeout_seconds: current.timeoutSeconds,
      enabled: current.enabled,
      on_worker_lost: current.onWorkerLost,
      artifacts: current.artifacts,
      ...attuneToOwn(Object.fromEntries(Object.entries(dto).filter(([, v]) => v !== undefined))),
    };
    // An unchanged script entrypoint stays valid even if the pack's archive moved on since.
    const unchanged = dto.entrypoint === undefined && merged.runtime === current.runtime && merged.runtime_ref === undefined && !current.entrypointInline;
    const definition = await this.define(current.packRef, merged, unchanged ? current.entrypoint : undefined);
    const out = await this.registry.updateAction(ref, definition);
    if (isRefusal(out)) throw refusalError(out, `action "${ref}"`);
    return out;
  }

  async delete(ref: string): Promise<void> {
    const out = await this.registry.deleteAction(ref);
    if (isRefusal(out)) throw refusalError(out, `action "${ref}"`);
    this.logger.log({ action: ref }, 'action deleted');
  }

  private async define(packRef: string, raw: Record<string, unknown>, alsoAllowed?: string): Promise<ActionDefinition> {
    const pack = await this.packs.findByRef(packRef);
    if (!pack) {
      throw new DomainError('VALIDATION_ERROR', `pack "${packRef}" does not exist`, [{ field: 'ref', message: `pack "${packRef}" does not exist; create or upload it first` }]);
    }
    // With an uploaded archive, script entrypoints must be files of its current version.
    const version = pack.digest ? await this.registry.findVersion(pack.ref, pack.digest) : null;
    const files = version ? new Set(version.files.map((f) => f.path)) : undefined;
    if (files && alsoAllowed) files.add(alsoAllowed);
    const { action, errors } = buildActionDefinition(raw, { packRef, files, workflows: { refusal: WORKFLOWS_ELSEWHERE } });
    if (!action) throw new DomainError('VALIDATION_ERROR', 'the action is invalid', errors);
    return action;
  }
}
