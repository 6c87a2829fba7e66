import {
  checkConditions,
  checkTemplates,
  checkTimerParams,
  commandTemplateProblems,
  type ConditionMode,
  DomainError,
  isTimerTrigger,
  ParameterSchemaValidator,
  type RuleConditions,
  templatedPaths,
} from '@attune/contracts';
import {
  type ActionEntity,
  ActionRepository,
  PackRepository,
  type RuleEntity,
  type RuleFilter,
  RuleRepository,
  type TriggerEntity,
  TriggerRepository,
} from '@attune/persistence';
import { Injectable } from '@nestjs/common';
import { found } from '../common/found';
import { assertSameIdentity, createUnique, newPackMember } from '../common/pack-member';
import type { CreateRuleDto, UpdateRuleDto } from './rule.dto';

interface FieldError {
  field: string;
  message: string;
}

interface RuleBody {
  triggerParams: Record<string, unknown>;
  actionParams: Record<string, unknown>;
  conditions: unknown;
  condition: ConditionMode;
}

/** What a created or changed rule records of its trigger, action and checked body. */
function ruleLinks(trigger: TriggerEntity, action: ActionEntity, body: RuleBody) {
  return {
    trigger: trigger.id,
    triggerRef: trigger.ref,
    action: action.id,
    actionRef: action.ref,
    triggerParams: body.triggerParams,
    actionParams: body.actionParams,
    conditions: body.conditions as RuleConditions,
    condition: body.condition,
  };
}

/**
 * Rule CRUD. A rule is checked as a whole whenever it is saved: its trigger and action exist,
 * `trigger_params` fit the trigger (and a timer's schedule is usable), `conditions` are
 * well-formed, every template in `action_params` is a plain path, and the parameters that are
 * not templated fit the action's schema. Templated values are checked when the rule fires,
 * against the action's schema, once rendered from the event.
 */
@Injectable()
export class RulesService {
  private readonly schemas = new ParameterSchemaValidator();

  constructor(
    private readonly rules: RuleRepository,
    private readonly triggers: TriggerRepository,
    private readonly actions: ActionRepository,
    private readonly packs: PackRepository,
  ) {}

  async get(ref: string): Promise<RuleEntity> {
    return found(await this.rules.findByRef(ref), `rule "${ref}"`);
  }

  list(filter: RuleFilter, page: number, perPage: number) {
    return this.rules.list(filter, page, perPage);
  }

  async create(dto: CreateRuleDto): Promise<RuleEntity> {
    const member = await newPackMember(this.packs, dto);
    const trigger = await this.trigger(dto.trigger_ref);
    const action = await this.action(dto.action_ref);
    const body = this.check(
      { triggerParams: dto.trigger_params ?? {}, actionParams: dto.action_params ?? {}, conditions: dto.conditions ?? [], condition: dto.condition ?? 'all' },
      trigger,
      action,
      true,
    );
    return createUnique(
      `rule "${dto.ref}"`,
      () => this.rules.findByRef(dto.ref),
      () => this.rules.create({ ...member, ...ruleLinks(trigger, action, body), enabled: dto.enabled ?? true }),
    );
  }

  async update(ref: string, dto: UpdateRuleDto): Promise<RuleEntity> {
    const rule = await this.get(ref);
    assertSameIdentity('rule', dto, rule);
    const trigger = await this.trigger(dto.trigger_ref ?? rule.triggerRef);
    const action = await this.action(dto.action_ref ?? rule.actionRef);
    const scheduleChanged = dto.trigger_params !== undefined || (dto.trigger_ref !== undefined && dto.trigger_ref !== rule.triggerRef);
    const body = this.check(
      {
        triggerParams: dto.trigger_params ?? rule.triggerParams,
        actionParams: dto.action_params ?? rule.actionParams,
        conditions: dto.conditions === undefined ? rule.conditions : (dto.conditions ?? []),
        condition: dto.condition ?? rule.condition,
      },
      trigger,
      action,
      scheduleChanged,
    );
    const updated = await this.rules.update(rule.id, {
      label: dto.label,
      description: dto.description,
      ...ruleLinks(trigger, action, body),
      enabled: dto.enabled,
    });
    return found(updated, `rule "${ref}"`);
  }

  async setEnabled(ref: string, enabled: boolean): Promise<RuleEntity> {
    const rule = await this.get(ref);
    return found(await this.rules.setEnabled(rule.id, enabled), `rule "${ref}"`);
  }

  async delete(ref: string): Promise<void> {
    const rule = await this.get(ref);
    await this.rules.delete(rule.id);
  }

  private async trigger(ref: string): Promise<TriggerEntity> {
    return found(await this.triggers.findByRef(ref), `trigger "${ref}"`);
  }

  private async action(ref: string): Promise<ActionEntity> {
    return found(await this.actions.findByRef(ref), `action "${ref}"`);
  }

  /**
   * Checks a rule body against its trigger and action; throws 422 naming every problem.
   * Answers the body to store: trigger_params with the trigger's defaults applied.
   * `checkSchedule`: a datetime timer's fire_at must be in the future only when the schedule is
   * being set, so that renaming a rule that already fired stays possible.
   */
  private check(body: RuleBody, trigger: TriggerEntity, action: ActionEntity, checkSchedule: boolean): RuleBody {
    const problems: FieldError[] = [];
    let triggerParams = body.triggerParams;
    if (trigger.paramSchema) {
      const checked = this.schemas.check(trigger.paramSchema, triggerParams, {
        cacheKey: `trigger:${trigger.id}:${new Date(trigger.updated).getTime()}`,
        unknownKeyMessage: 'is not a parameter of this trigger',
      });
      if (checked.ok) {
        triggerParams = checked.value;
        if (isTimerTrigger(trigger.ref) && checkSchedule) problems.push(...checkTimerParams(trigger.ref, triggerParams, new Date()));
      } else {
        problems.push(...checked.problems.map((p) => ({ field: `trigger_params.${p.field}`, message: p.message })));
      }
    }
    problems.push(...checkConditions(body.conditions));
    const templateProblems = checkTemplates(body.actionParams);
    problems.push(...templateProblems);
    if (!templateProblems.length) problems.push(...this.checkActionParams(body.actionParams, action));
    problems.push(
      ...commandTemplateProblems(action.paramSchema, body.actionParams).map((p) => ({ field: `action_params.${p.field}`, message: p.message })),
    );
    if (problems.length) throw new DomainError('VALIDATION_ERROR', 'rule is invalid', problems);
    return { ...body, triggerParams };
  }

  /** The action's schema, applied to what is known now: templated values wait for the event. */
  private checkActionParams(params: Record<string, unknown>, action: ActionEntity): FieldError[] {
    const templated = templatedPaths(params);
    const checked = this.schemas.check(action.paramSchema, params, {
      cacheKey: `action:${action.id}:${new Date(action.updated).getTime()}`,
      rejectUndeclared: true,
    });
    if (checked.ok) return [];
    return checked.problems
      .filter((p) => p.keyword === 'additionalProperties' || !templated.some((t) => p.field === t || p.field.startsWith(`${t}.`)))
      .map((p) => ({ field: `action_params.${p.field}`, message: p.message }));
  }
}
