import { DomainError, type JsonSchemaObject, normalizeParamSchema, WORKFLOW_RUNTIME } from '@attune/contracts';
import { checkWorkflowDefinition, type FieldError, jsonSchemaProblem, MAX_ACTION_TIMEOUT_SECONDS, unknownActionErrors } from '@attune/packs';
import { type ActionEntity, ActionRepository, isRefusal, PackRegistryRepository, PackRepository, type WorkflowFilter } from '@attune/persistence';
import type { WorkflowDefinition } from '@attune/workflows';
import { Injectable, Logger } from '@nestjs/common';
import { refusalError } from '../packs/packs.service';
import type { CreateWorkflowDto, UpdateWorkflowDto } from './workflow.dto';

/**
 * `/api/v1/workflows`: a workflow is an action with runtime `workflow` whose definition is kept
 * on the action row. Every write validates the definition as a pack upload does (the same
 * @attune/packs check, fields named `definition.tasks.<task>.<field>`) and checks that every
 * action its tasks run exists; any problem refuses the whole request and nothing is saved.
 */
@Injectable()
export class WorkflowsService {
  private readonly logger = new Logger(WorkflowsService.name);

  constructor(
    private readonly actions: ActionRepository,
    private readonly packs: PackRepository,
    private readonly registry: PackRegistryRepository,
  ) {}

  list(filter: WorkflowFilter, page: number, perPage: number) {
    return this.actions.listWorkflows(filter, page, perPage);
  }

  async get(ref: string): Promise<ActionEntity> {
    const action = await this.actions.findByRef(ref);
    if (!action || action.runtime !== WORKFLOW_RUNTIME) throw new DomainError('NOT_FOUND', `workflow "${ref}" not found`);
    return action;
  }

  async create(dto: CreateWorkflowDto): Promise<ActionEntity> {
    const errors: FieldError[] = [];
    if (dto.ref.split('.')[0] !== dto.pack_ref) errors.push({ field: 'ref', message: `must belong to pack "${dto.pack_ref}" (${dto.pack_ref}.<name>)` });
    const pack = await this.packs.findByRef(dto.pack_ref);
    if (!pack) errors.push({ field: 'pack_ref', message: `pack "${dto.pack_ref}" does not exist; create or upload it first` });
    const checked = await this.check(dto.definition, dto.param_schema, dto.out_schema, errors);
    const name = dto.ref.split('.').slice(1).join('.');
    const out = await this.registry.createAction(dto.pack_ref, {
      ref: dto.ref,
      label: dto.label.trim(),
      description: dto.description ?? null,
      runtime: WORKFLOW_RUNTIME,
      // Where the file would live in its pack (Attune writes it there): the action's entrypoint.
      entrypoint: `actions/workflows/${name}.workflow.yaml`,
      entrypointInline: false,
      paramSchema: checked.paramSchema ?? { type: 'object', properties: {} },
      outSchema: checked.outSchema ?? null,
      outputFormat: 'json',
      timeoutSeconds: runTimeout(checked.definition),
      enabled: dto.enabled ?? true,
      isAdhoc: true,
      workflowDefinition: dto.definition,
      workflowVersion: dto.version.trim(),
      tags: uniqueTags(dto.tags),
    });
    if (isRefusal(out)) throw refusalError(out, out.refused === 'not_found' ? `pack "${dto.pack_ref}"` : `action "${dto.ref}"`);
    this.logger.log({ workflow: out.ref, tasks: checked.definition.tasks.length }, 'workflow created');
    return out;
  }

  async update(ref: string, dto: UpdateWorkflowDto): Promise<ActionEntity> {
    const current = await this.get(ref);
    const definition = dto.definition ?? current.workflowDefinition ?? {};
    // The request's param_schema, else the new definition's parameters, else the stored schema.
    const checked = await this.check(definition, dto.param_schema, dto.out_schema === undefined ? undefined : dto.out_schema, []);
    const schemaChanged = dto.param_schema !== undefined || dto.definition !== undefined;
    const out = await this.registry.updateAction(ref, {
      label: dto.label?.trim(),
      description: dto.description,
      paramSchema: schemaChanged ? checked.paramSchema : undefined,
      outSchema: dto.out_schema === undefined ? undefined : (checked.outSchema ?? null),
      timeoutSeconds: dto.definition ? runTimeout(checked.definition) : undefined,
      enabled: dto.enabled,
      workflowDefinition: dto.definition,
      workflowVersion: dto.version?.trim(),
      tags: dto.tags === undefined ? undefined : uniqueTags(dto.tags),
    });
    if (isRefusal(out)) throw refusalError(out, `workflow "${ref}"`);
    this.logger.log({ workflow: ref }, 'workflow updated');
    return out;
  }

  async delete(ref: string): Promise<void> {
    await this.get(ref);
    const out = await this.registry.deleteAction(ref);
    if (isRefusal(out)) throw refusalError(out, `workflow "${ref}"`);
    this.logger.log({ workflow: ref }, 'workflow deleted');
  }

  /**
   * The definition, its schemas and its actions, checked together so one 422 lists every
   * problem (`errors` may already hold the caller's). Answers the normalized definition and the
   * schemas as stored (JSON Schema form): the parameters are param_schema when given, else the
   * definition's `parameters`.
   */
  private async check(
    raw: unknown,
    paramSchemaRaw: Record<string, unknown> | undefined,
    outSchemaRaw: Record<string, unknown> | null | undefined,
    errors: FieldError[],
  ): Promise<{ definition: WorkflowDefinition; paramSchema?: JsonSchemaObject; outSchema?: JsonSchemaObject }> {
    const checked = checkWorkflowDefinition(raw, 'definition.');
    errors.push(...checked.errors);
    errors.push(...(await unknownActionErrors(checked.actionRefs, (refs) => this.actions.existingRefs(refs))));
    let paramSchema: JsonSchemaObject | undefined;
    if (paramSchemaRaw !== undefined) {
      try {
        paramSchema = normalizeParamSchema(paramSchemaRaw);
        const problem = jsonSchemaProblem(paramSchema);
        if (problem) errors.push({ field: 'param_schema', message: `is not a valid JSON Schema: ${problem}` });
      } catch (err) {
        errors.push({ field: 'param_schema', message: (err as Error).message });
      }
    } else if (checked.definition?.paramSchema) {
      paramSchema = checked.definition.paramSchema;
    }
    let outSchema: JsonSchemaObject | undefined;
    if (outSchemaRaw) {
      const problem = jsonSchemaProblem(outSchemaRaw);
      if (problem) errors.push({ field: 'out_schema', message: `is not a valid JSON Schema: ${problem}` });
      else outSchema = outSchemaRaw as JsonSchemaObject;
    }
    if (errors.length || !checked.definition) throw new DomainError('VALIDATION_ERROR', 'the workflow is invalid', errors);
    return { definition: checked.definition, paramSchema, outSchema };
  }
}

/** The workflow's own `timeout` is the whole run's: the parent execution's limit. */
function runTimeout(definition: WorkflowDefinition): number | null {
  return definition.timeout === null ? null : Math.min(definition.timeout, MAX_ACTION_TIMEOUT_SECONDS);
}

function uniqueTags(tags: string[] | undefined): string[] {
  return [...new Set((tags ?? []).map((t) => t.trim()).filter(Boolean))];
}
