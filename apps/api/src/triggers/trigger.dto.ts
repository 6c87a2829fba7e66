import type { TriggerEntity } from '@attune/persistence';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { COMPONENT_REF, COMPONENT_REF_MESSAGE } from '../common/component-ref';
import { PageQuery } from '../common/pagination';
import { packMember, timestamps } from '../common/records';
import { PackMemberDto, PackMemberUpdateDto } from '../common/pack-member.dto';
import { OptionalJsonObject } from '../common/field.decorators';

const SCHEMA_DOC = 'JSON Schema `{type: object, properties, required}` or the flat form `{name: {type, required?, default?}}`';

export class CreateTriggerDto {
  @ApiProperty({ example: 'monitoring.alert' })
  @IsString() @MaxLength(255) @Matches(COMPONENT_REF, { message: `ref ${COMPONENT_REF_MESSAGE}` })
  ref!: string;

  @ApiPropertyOptional({ example: 'monitoring', description: 'Defaults to the prefix of ref; must equal it when given' })
  @IsOptional() @IsString()
  pack_ref?: string;

  @ApiProperty({ example: 'Monitoring alert' }) @IsString() @IsNotEmpty() @MaxLength(255) label!: string;
  @ApiPropertyOptional({ nullable: true, type: String }) @IsOptional() @IsString() @MaxLength(4000) description?: string | null;

  @OptionalJsonObject({ nullable: true, description: `Schema of a rule's trigger_params: ${SCHEMA_DOC}` })
  param_schema?: Record<string, unknown> | null;

  @OptionalJsonObject({ nullable: true, description: `Schema of event payloads (checked on every event; 422 when one fails): ${SCHEMA_DOC}` })
  out_schema?: Record<string, unknown> | null;

  @ApiPropertyOptional({ default: true }) @IsOptional() @IsBoolean() enabled?: boolean;
}

/** PUT: the fields given change; `ref` and `pack_ref` may be sent back but not changed. */
export class UpdateTriggerDto extends PackMemberUpdateDto {
  @OptionalJsonObject({ nullable: true }) param_schema?: Record<string, unknown> | null;
  @OptionalJsonObject({ nullable: true }) out_schema?: Record<string, unknown> | null;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() enabled?: boolean;
}

export class TriggerListQuery extends PageQuery {
  @ApiPropertyOptional() @IsOptional() @IsString() pack_ref?: string;
}

export class TriggerDto extends PackMemberDto {
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true }) param_schema!: Record<string, unknown> | null;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true }) out_schema!: Record<string, unknown> | null;
  @ApiProperty() enabled!: boolean;
  @ApiProperty() webhook_enabled!: boolean;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Secret part of the webhook URL (POST /api/v1/webhooks/{webhook_key}); shown to operators and admins only',
  })
  webhook_key!: string | null;
  @ApiProperty({ description: 'Registered by the platform (the timers); cannot be changed' }) is_builtin!: boolean;
  @ApiProperty({ description: 'Attune\'s field: true for triggers created over the API (every trigger that is not built in)' }) is_adhoc!: boolean;
  @ApiProperty() created!: string;
  @ApiProperty() updated!: string;
}

export function toTriggerDto(t: TriggerEntity, opts: { showWebhookKey: boolean }): TriggerDto {
  return {
    ...packMember(t),
    param_schema: t.paramSchema,
    out_schema: t.outSchema,
    enabled: t.enabled,
    webhook_enabled: t.webhookEnabled,
    webhook_key: opts.showWebhookKey ? t.webhookKey : null,
    is_builtin: t.isBuiltin,
    is_adhoc: !t.isBuiltin,
    ...timestamps(t),
  };
}
