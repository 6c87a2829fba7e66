import { DomainError, isTimerTrigger, type JsonSchemaObject, normalizeParamSchema, ParameterSchemaValidator, schemaPatternProblems } from '@attune/contracts';
import { PackRepository, RuleRepository, type TriggerEntity, TriggerRepository } from '@attune/persistence';
import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { found } from '../common/found';
import { assertSameIdentity, createUnique, newPackMember } from '../common/pack-member';
import type { CreateTriggerDto, UpdateTriggerDto } from './trigger.dto';

/** `wh_` + 192 random bits: unguessable, URL-safe. */
export function newWebhookKey(): string {
  return `wh_${randomBytes(24).toString('base64url')}`;
}

export const WEBHOOK_KEY_FORMAT = /^wh_[A-Za-z0-9_-]{16,128}$/;

@Injectable()
export class TriggersService {
  private readonly schemas = new ParameterSchemaValidator();

  constructor(
    private readonly triggers: TriggerRepository,
    private readonly packs: PackRepository,
    private readonly rules: RuleRepository,
  ) {}

  async get(ref: string): Promise<TriggerEntity> {
    return found(await this.triggers.findByRef(ref), `trigger "${ref}"`);
  }

  list(filter: { packRef?: string }, page: number, perPage: number) {
    return this.triggers.list(filter, page, perPage);
  }

  async create(dto: CreateTriggerDto): Promise<TriggerEntity> {
    const member = await newPackMember(this.packs, dto);
    return createUnique(
      `trigger "${dto.ref}"`,
      () => this.triggers.findByRef(dto.ref),
      () =>
        this.triggers.create({
          ...member,
          paramSchema: this.schema(dto.param_schema, 'param_schema'),
          outSchema: this.schema(dto.out_schema, 'out_schema'),
          enabled: dto.enabled ?? true,
        }),
    );
  }

  async update(ref: string, dto: UpdateTriggerDto): Promise<TriggerEntity> {
    const trigger = await this.changeable(ref);
    assertSameIdentity('trigger', dto, trigger);
    const updated = await this.triggers.update(trigger.id, {
      label: dto.label,
      description: dto.description,
      paramSchema: dto.param_schema === undefined ? undefined : this.schema(dto.param_schema, 'param_schema'),
      outSchema: dto.out_schema === undefined ? undefined : this.schema(dto.out_schema, 'out_schema'),
      enabled: dto.enabled,
    });
    return found(updated, `trigger "${ref}"`);
  }

  async delete(ref: string): Promise<void> {
    const trigger = await this.changeable(ref);
    const used = await this.rules.countByTrigger(trigger.id);
    if (used > 0) throw new DomainError('CONFLICT', `trigger "${ref}" is used by ${used} rule(s); delete or change them first`);
    await this.triggers.delete(trigger.id);
  }

  /** Enables the webhook; a trigger that already has one keeps its key. */
  async setWebhook(ref: string, enabled: boolean): Promise<TriggerEntity> {
    const trigger = await this.get(ref);
    if (isTimerTrigger(trigger.ref) || trigger.isBuiltin) {
      throw new DomainError('BAD_REQUEST', `trigger "${ref}" is a built-in timer and fires on its schedule, not by webhook`);
    }
    return found(await this.triggers.setWebhook(trigger.id, enabled, newWebhookKey()), `trigger "${ref}"`);
  }

  private async changeable(ref: string): Promise<TriggerEntity> {
    const trigger = await this.get(ref);
    if (trigger.isBuiltin) throw new DomainError('BAD_REQUEST', `trigger "${ref}" is built in and cannot be changed or deleted`);
    return trigger;
  }

  /** Normalises a schema (either form) and proves it compiles; 422 naming the field otherwise. */
  private schema(input: Record<string, unknown> | null | undefined, field: string): JsonSchemaObject | null {
    if (input === undefined || input === null) return null;
    let schema: JsonSchemaObject;
    try {
      schema = normalizeParamSchema(input);
    } catch (err) {
      throw new DomainError('VALIDATION_ERROR', `${field} is not a valid schema`, [{ field, message: (err as Error).message }]);
    }
    // Patterns run on RE2 against payloads anyone with the key sends: refuse what it cannot run.
    const patterns = schemaPatternProblems(schema);
    if (patterns.length) {
      throw new DomainError('VALIDATION_ERROR', `${field} is not a valid schema`, patterns.map((p) => ({ field: `${field}.${p.field}`, message: p.message })));
    }
    const probe = this.schemas.check(schema, {});
    if (!probe.ok && probe.problems.some((p) => p.keyword === 'schema')) {
      throw new DomainError('VALIDATION_ERROR', `${field} is not a valid schema`, [{ field, message: probe.problems[0].message }]);
    }
    return schema;
  }
}
