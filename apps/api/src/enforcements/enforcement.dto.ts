import { IsIdFilter } from '../common/id.pipe';
import { CONDITION_MODES, type ConditionMode, ENFORCEMENT_STATUSES, type EnforcementStatus, type RuleConditions } from '@attune/contracts';
import type { EnforcementEntity } from '@attune/persistence';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString } from 'class-validator';
import { CursorPageQuery } from '../common/pagination';
import { CONDITIONS_SCHEMA } from '../rules/rule.dto';
import { isoOrNull, timestamps } from '../common/records';

export class EnforcementListQuery extends CursorPageQuery {
  @ApiPropertyOptional() @IsOptional() @IsString() rule_ref?: string;
  @ApiPropertyOptional({ description: 'The rule\'s id (Attune\'s filter); out of the bigint range gives 422' }) @IsOptional() @IsIdFilter() rule?: number;
  @ApiPropertyOptional() @IsOptional() @IsIdFilter() event?: number;
  @ApiPropertyOptional({ enum: ENFORCEMENT_STATUSES }) @IsOptional() @IsIn(ENFORCEMENT_STATUSES) status?: EnforcementStatus;
}

export class EnforcementDto {
  @ApiProperty() id!: number;
  @ApiProperty({ nullable: true, type: Number, description: 'Null once the rule is deleted' }) rule!: number | null;
  @ApiProperty() rule_ref!: string;
  @ApiProperty() trigger_ref!: string;
  @ApiProperty({ nullable: true, type: Number }) event!: number | null;
  @ApiProperty({
    enum: ENFORCEMENT_STATUSES,
    description: 'created: matched, execution not yet created; processed: resolved (see executions, or error); disabled: the action is disabled or gone',
  })
  status!: EnforcementStatus;
  @ApiProperty({ enum: CONDITION_MODES }) condition!: ConditionMode;
  @ApiProperty({ ...CONDITIONS_SCHEMA, description: 'The rule conditions that matched (list form or Attune\'s {expression})' }) conditions!: RuleConditions;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, description: 'The action parameters rendered from the event' })
  config!: Record<string, unknown> | null;
  @ApiProperty({ nullable: true, type: String, description: 'Why no execution was created' }) error!: string | null;
  @ApiProperty({ type: [Number], description: 'Executions created for it (also: GET /api/v1/executions?enforcement={id})' }) executions!: number[];
  @ApiProperty() created!: string;
  @ApiProperty() updated!: string;
  @ApiProperty({ nullable: true, type: String }) resolved_at!: string | null;
}

export function toEnforcementDto(e: EnforcementEntity, executions: number[]): EnforcementDto {
  return {
    id: e.id,
    rule: e.rule,
    rule_ref: e.ruleRef,
    trigger_ref: e.triggerRef,
    event: e.event,
    status: e.status,
    condition: e.condition,
    conditions: e.conditions,
    config: e.config,
    error: e.error,
    executions,
    ...timestamps(e),
    resolved_at: isoOrNull(e.resolvedAt),
  };
}
