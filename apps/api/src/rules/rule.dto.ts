import { CONDITION_MODES, CONDITION_OPERATORS, type ConditionMode, type RuleConditions } from '@attune/contracts';
import type { RuleEntity } from '@attune/persistence';
import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { Allow, IsBoolean, IsIn, IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { COMPONENT_REF, COMPONENT_REF_MESSAGE } from '../common/component-ref';
import { PageQuery } from '../common/pagination';
import { packMember, timestamps } from '../common/records';
import { PackMemberDto, PackMemberUpdateDto } from '../common/pack-member.dto';
import { OptionalJsonObject, OptionalQueryFlag } from '../common/field.decorators';

export class RuleConditionDto {
  @ApiProperty({ example: 'event.payload.severity', description: 'A path into event.* or rule.*' }) field!: string;
  @ApiProperty({ enum: CONDITION_OPERATORS }) operator!: string;
  @ApiPropertyOptional({ description: 'Any JSON value; a list for `in`, a regular expression for `matches`, true/false for `exists` (default true)', example: 'critical' })
  value?: unknown;
}

export class RuleExpressionCriteriaDto {
  @ApiProperty({
    example: "{{ event.payload.status == 'critical' }}",
    description:
      'Attune\'s criteria: one expression (braces optional) over `event` and `rule`; the rule matches when it is truthy. ' +
      'Operators == != < <= > >= and or not in, arithmetic, filters (| length, | lower, | default(x)…); see docs/compatibility.md',
  })
  expression!: string;
}

/** OpenAPI for `conditions`: the list form or Attune's expression form. */
export const CONDITIONS_SCHEMA = {
  oneOf: [{ type: 'array', items: { $ref: getSchemaPath(RuleConditionDto) } }, { $ref: getSchemaPath(RuleExpressionCriteriaDto) }],
};

/** The models CONDITIONS_SCHEMA names by reference: no route's types reach them, so the document adds them (openapi.ts). */
export const CONDITIONS_MODELS = [RuleConditionDto, RuleExpressionCriteriaDto];

const CONDITIONS_DOC =
  'Either a list, or Attune\'s `{"expression": "{{ … }}"}` (then `condition` does not apply). ' +
  'List form: each {field, operator, value} is checked against the event; `condition` combines them. Types are compared strictly ("5" is not 5); ' +
  'gt/gte/lt/lte compare two numbers or two strings; a missing field matches only not_equals and exists:false; `matches` is an unanchored ' +
  'JavaScript regular expression (nested quantifiers such as (a+)+ are refused).';

const ACTION_PARAMS_DOC =
  'Action parameters. Strings may hold {{ path }} placeholders into event.* or rule.* (e.g. "{{ event.payload.host }} is down"); ' +
  'nothing is ever evaluated. A value that is exactly one placeholder keeps its JSON type, and is left out when the path is missing ' +
  '(so the action default applies); inside text a missing path or null renders as the empty string, objects as JSON.';

export class CreateRuleDto {
  @ApiProperty({ example: 'monitoring.page_on_critical' })
  @IsString() @MaxLength(255) @Matches(COMPONENT_REF, { message: `ref ${COMPONENT_REF_MESSAGE}` })
  ref!: string;

  @ApiPropertyOptional({ description: 'Defaults to the prefix of ref; must equal it when given' }) @IsOptional() @IsString() pack_ref?: string;
  @ApiProperty({ example: 'Page on critical alerts' }) @IsString() @IsNotEmpty() @MaxLength(255) label!: string;
  @ApiPropertyOptional({ nullable: true, type: String }) @IsOptional() @IsString() @MaxLength(4000) description?: string | null;
  @ApiProperty({ example: 'monitoring.alert' }) @IsString() @IsNotEmpty() @MaxLength(255) trigger_ref!: string;
  @ApiProperty({ example: 'core.echo' }) @IsString() @IsNotEmpty() @MaxLength(255) action_ref!: string;

  @OptionalJsonObject({ description: "Checked against the trigger's param_schema; timers are configured here", example: {} })
  trigger_params?: Record<string, unknown>;

  @OptionalJsonObject({ description: ACTION_PARAMS_DOC, example: { message: '{{ event.payload.host }} is down' } })
  action_params?: Record<string, unknown>;

  @ApiPropertyOptional({ ...CONDITIONS_SCHEMA, description: CONDITIONS_DOC })
  @Allow()
  conditions?: unknown;

  @ApiPropertyOptional({ enum: CONDITION_MODES, default: 'all' }) @IsOptional() @IsIn(CONDITION_MODES) condition?: ConditionMode;
  @ApiPropertyOptional({ default: true }) @IsOptional() @IsBoolean() enabled?: boolean;
}

/** PUT: the fields given change (and are checked again with the rest); `ref`/`pack_ref` may be sent back unchanged. */
export class UpdateRuleDto extends PackMemberUpdateDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @IsNotEmpty() @MaxLength(255) trigger_ref?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @IsNotEmpty() @MaxLength(255) action_ref?: string;
  @OptionalJsonObject() trigger_params?: Record<string, unknown>;
  @OptionalJsonObject({ description: ACTION_PARAMS_DOC }) action_params?: Record<string, unknown>;
  @ApiPropertyOptional({ ...CONDITIONS_SCHEMA, description: CONDITIONS_DOC }) @Allow() conditions?: unknown;
  @ApiPropertyOptional({ enum: CONDITION_MODES }) @IsOptional() @IsIn(CONDITION_MODES) condition?: ConditionMode;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() enabled?: boolean;
}

export class RuleListQuery extends PageQuery {
  @ApiPropertyOptional() @IsOptional() @IsString() pack_ref?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() trigger_ref?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() action_ref?: string;

  @OptionalQueryFlag() enabled?: boolean;
}

export class RuleDto extends PackMemberDto {
  @ApiProperty({ nullable: true, type: Number, description: 'Null once the trigger is deleted' }) trigger!: number | null;
  @ApiProperty() trigger_ref!: string;
  @ApiProperty({ nullable: true, type: Number, description: 'Null once the action is deleted' }) action!: number | null;
  @ApiProperty() action_ref!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) trigger_params!: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: true }) action_params!: Record<string, unknown>;
  @ApiProperty({ ...CONDITIONS_SCHEMA, description: 'The list form, or Attune\'s {expression}' }) conditions!: RuleConditions;
  @ApiProperty({ enum: CONDITION_MODES }) condition!: ConditionMode;
  @ApiProperty() enabled!: boolean;
  @ApiProperty() created!: string;
  @ApiProperty() updated!: string;
}

export function toRuleDto(r: RuleEntity): RuleDto {
  return {
    ...packMember(r),
    trigger: r.trigger,
    trigger_ref: r.triggerRef,
    action: r.action,
    action_ref: r.actionRef,
    trigger_params: r.triggerParams,
    action_params: r.actionParams,
    conditions: r.conditions,
    condition: r.condition,
    enabled: r.enabled,
    ...timestamps(r),
  };
}
