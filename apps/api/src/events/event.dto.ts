import { EVENT_SOURCES, type EventSource } from '@attune/contracts';
import type { EventEntity } from '@attune/persistence';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { IsIdFilter } from '../common/id.pipe';
import { CursorPageQuery } from '../common/pagination';
import { OptionalJsonObject } from '../common/field.decorators';
import { iso, isoOrNull } from '../common/records';

export class CreateEventDto {
  @ApiProperty({ example: 'monitoring.alert' }) @IsString() @IsNotEmpty() @MaxLength(255) trigger_ref!: string;

  @OptionalJsonObject({ example: { severity: 'critical', host: 'web-1' }, default: {} })
  payload?: Record<string, unknown>;
}

export class EventListQuery extends CursorPageQuery {
  @ApiPropertyOptional() @IsOptional() @IsString() trigger_ref?: string;
  @ApiPropertyOptional({ description: 'The trigger\'s id (Attune\'s filter); out of the bigint range gives 422' }) @IsOptional() @IsIdFilter() trigger?: number;
  @ApiPropertyOptional({ description: 'Timer events: the rule whose schedule fired them' }) @IsOptional() @IsString() rule_ref?: string;
  @ApiPropertyOptional({ enum: EVENT_SOURCES }) @IsOptional() @IsIn(EVENT_SOURCES) source?: EventSource;
}

export class EventDto {
  @ApiProperty() id!: number;
  @ApiProperty({ nullable: true, type: Number, description: 'Null once the trigger is deleted' }) trigger!: number | null;
  @ApiProperty() trigger_ref!: string;
  @ApiProperty({ description: 'The payload as received (any JSON)' }) payload!: unknown;
  @ApiProperty({ enum: EVENT_SOURCES }) source!: EventSource;
  @ApiProperty({ nullable: true, type: Number, description: 'Timer events: the rule whose schedule fired them' }) rule!: number | null;
  @ApiProperty({ nullable: true, type: String }) rule_ref!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'When the executor finished matching it against rules' }) processed_at!: string | null;
  @ApiProperty() created!: string;
}

export class EventIdDto {
  @ApiProperty() event_id!: number;
}

export function toEventDto(e: EventEntity): EventDto {
  return {
    id: e.id,
    trigger: e.trigger,
    trigger_ref: e.triggerRef,
    payload: e.payload,
    source: e.source,
    rule: e.rule,
    rule_ref: e.ruleRef,
    processed_at: isoOrNull(e.processedAt),
    created: iso(e.created),
  };
}
