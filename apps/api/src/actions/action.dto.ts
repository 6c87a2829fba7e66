import { ACTION_REF_PATTERN, OUTPUT_FORMATS, WORKER_LOST_POLICIES } from '@attune/contracts';
import type { ActionEntity } from '@attune/persistence';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsObject, IsOptional, IsString, Matches, MaxLength, Min } from 'class-validator';
import { PageQuery } from '../common/pagination';

export class ActionListQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Only the actions of this pack' }) @IsOptional() @IsString() pack_ref?: string;
}

const RUNTIME_DOC = 'shell, python (python3) or node; aliases such as core.shell, python3 or nodejs are accepted';
const ENTRYPOINT_DOC =
  'A script path inside the pack (a bare name may also be relative to actions/). For shell, a value that does not look ' +
  'like a file path (it has spaces, or no extension) is inline script text, run with /bin/sh -c.';
const PARAM_SCHEMA_DOC =
  'JSON Schema `{type: object, properties, required}`, or the flat form `{name: {type, required?, default?, secret?}}`. ' +
  'Parameters are checked against it at execute time (defaults applied; 422 names every failing field).';

export class ActionDto {
  @ApiProperty() id!: number;
  @ApiProperty({ example: 'core.echo' }) ref!: string;
  @ApiProperty() pack_ref!: string;
  @ApiProperty() label!: string;
  @ApiPropertyOptional({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ enum: ['shell', 'python', 'node'] }) runtime!: string;
  @ApiProperty({ description: ENTRYPOINT_DOC }) entrypoint!: string;
  @ApiProperty({ description: 'True when entrypoint is inline shell text rather than a script in the pack' }) inline!: boolean;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Always in JSON Schema form' }) param_schema!: Record<string, unknown>;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true }) out_schema!: Record<string, unknown> | null;
  @ApiProperty({ enum: OUTPUT_FORMATS, description: 'How stdout is parsed into result.data (text: not parsed)' }) output_format!: string;
  @ApiPropertyOptional({ nullable: true, type: Number }) timeout_seconds!: number | null;
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ enum: WORKER_LOST_POLICIES, description: 'What happens to a run whose worker is lost' }) on_worker_lost!: string;
  @ApiProperty() created!: string;
  @ApiProperty() updated!: string;
}

export function toActionDto(a: ActionEntity): ActionDto {
  return {
    id: a.id,
    ref: a.ref,
    pack_ref: a.packRef,
    label: a.label,
    description: a.description,
    runtime: a.runtime,
    entrypoint: a.entrypoint,
    inline: a.entrypointInline,
    param_schema: a.paramSchema,
    out_schema: a.outSchema,
    output_format: a.outputFormat,
    timeout_seconds: a.timeoutSeconds,
    enabled: a.enabled,
    on_worker_lost: a.onWorkerLost ?? 'abandon',
    created: new Date(a.created).toISOString(),
    updated: new Date(a.updated).toISOString(),
  };
}

/**
 * The fields an action is written with. Their meaning is checked by the same rules as a pack's
 * action YAML (@attune/packs buildActionDefinition); here only their JSON types.
 */
class ActionFieldsDto {
  @ApiPropertyOptional({ example: 'Say hello' }) @IsOptional() @IsString() @MaxLength(255) label?: string;
  @ApiPropertyOptional({ nullable: true, type: String }) @IsOptional() @IsString() @MaxLength(10_000) description?: string;
  @ApiPropertyOptional({ description: PARAM_SCHEMA_DOC, type: 'object', additionalProperties: true })
  @IsOptional() @IsObject()
  param_schema?: Record<string, unknown>;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true, description: 'JSON Schema of result.data' })
  @IsOptional() @IsObject()
  out_schema?: Record<string, unknown> | null;
  @ApiPropertyOptional({ enum: OUTPUT_FORMATS, default: 'text' }) @IsOptional() @IsString() output_format?: string;
  @ApiPropertyOptional({ nullable: true, type: Number, minimum: 1 }) @IsOptional() @IsInt() @Min(1) timeout_seconds?: number | null;
  @ApiPropertyOptional({ default: true }) @IsOptional() @IsBoolean() enabled?: boolean;
  @ApiPropertyOptional({ enum: WORKER_LOST_POLICIES, default: 'abandon' }) @IsOptional() @IsString() on_worker_lost?: string;
}

export class CreateActionDto extends ActionFieldsDto {
  @ApiProperty({ example: 'demo.hello', description: 'pack.name; the pack must exist' })
  @IsString() @Matches(ACTION_REF_PATTERN, { message: 'ref must look like pack.name (letters, digits, _ and -)' })
  ref!: string;
  @ApiPropertyOptional({ example: 'demo', description: 'When given, must be the pack of ref' }) @IsOptional() @IsString() pack_ref?: string;
  @ApiProperty({ example: 'python', description: RUNTIME_DOC }) @IsString() runtime!: string;
  @ApiProperty({ example: 'actions/hello.py', description: ENTRYPOINT_DOC }) @IsString() @MaxLength(100_000) entrypoint!: string;
}

export class UpdateActionDto extends ActionFieldsDto {
  @ApiPropertyOptional({ description: RUNTIME_DOC }) @IsOptional() @IsString() runtime?: string;
  @ApiPropertyOptional({ description: ENTRYPOINT_DOC }) @IsOptional() @IsString() @MaxLength(100_000) entrypoint?: string;
}
