import { ACTION_REF_PATTERN, OUTPUT_FORMATS, WORKER_LOST_POLICIES } from '@attune/contracts';
import type { ActionEntity } from '@attune/persistence';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Allow, IsBoolean, IsInt, IsObject, IsOptional, IsString, Matches, MaxLength, Min, ValidateBy } from 'class-validator';
import { PageQuery } from '../common/pagination';

export class ActionListQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Only the actions of this pack' }) @IsOptional() @IsString() pack_ref?: string;
}

/** A runtime name, or Attune's numeric runtime id. */
function IsStringOrInteger(): PropertyDecorator {
  return ValidateBy({
    name: 'isStringOrInteger',
    validator: {
      validate: (v: unknown) => typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v)),
      defaultMessage: () => '$property must be a runtime name (shell, python, node, core.shell…) or Attune\'s numeric runtime id',
    },
  });
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
  @ApiProperty({ description: 'The pack\'s id (Attune\'s field)' }) pack!: number;
  @ApiProperty() pack_ref!: string;
  @ApiProperty() label!: string;
  @ApiPropertyOptional({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ enum: ['shell', 'python', 'node'] }) runtime!: string;
  @ApiProperty({ example: 'core.shell', description: 'The runtime as Attune names it (core.shell, core.python, core.node)' }) runtime_ref!: string;
  @ApiProperty({ description: ENTRYPOINT_DOC }) entrypoint!: string;
  @ApiProperty({ description: 'True when entrypoint is inline shell text rather than a script in the pack' }) inline!: boolean;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Always in JSON Schema form' }) param_schema!: Record<string, unknown>;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true }) out_schema!: Record<string, unknown> | null;
  @ApiProperty({ enum: OUTPUT_FORMATS, description: 'How stdout is parsed into result.data (text: not parsed)' }) output_format!: string;
  @ApiPropertyOptional({ nullable: true, type: Number }) timeout_seconds!: number | null;
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ description: 'True when created over the API (POST /actions), false when registered from a pack archive or built in' }) is_adhoc!: boolean;
  @ApiProperty({ enum: WORKER_LOST_POLICIES, description: 'What happens to a run whose worker is lost' }) on_worker_lost!: string;
  @ApiProperty() created!: string;
  @ApiProperty() updated!: string;
}

export function toActionDto(a: ActionEntity): ActionDto {
  return {
    id: a.id,
    ref: a.ref,
    pack: a.packId,
    pack_ref: a.packRef,
    label: a.label,
    description: a.description,
    runtime: a.runtime,
    runtime_ref: `core.${a.runtime}`,
    entrypoint: a.entrypoint,
    inline: a.entrypointInline,
    param_schema: a.paramSchema,
    out_schema: a.outSchema,
    output_format: a.outputFormat,
    timeout_seconds: a.timeoutSeconds,
    enabled: a.enabled,
    is_adhoc: a.isAdhoc ?? false,
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

const IGNORED = 'Accepted for Attune clients and ignored: this platform has no such feature yet (see docs/compatibility.md)';

/**
 * Fields Attune's action requests carry for features this platform does not have. They are
 * accepted with any value and ignored, so that a request written for Attune is never refused
 * over them; `required_worker_runtimes` alone is read, to choose the runtime when nothing else names it.
 */
class AttuneActionFieldsDto extends ActionFieldsDto {
  @ApiPropertyOptional({ example: 'core.python', description: 'Attune\'s runtime name (core.shell, core.python, core.node); wins over runtime' })
  @IsOptional() @IsString() @MaxLength(255)
  runtime_ref?: string;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { python: '>=3.12' },
    description: 'Runtimes the worker must have (Attune). When neither runtime_ref nor runtime is given and it names exactly one runtime, that is the action\'s runtime; versions are ignored',
  })
  @Allow()
  required_worker_runtimes?: unknown;
  @ApiPropertyOptional({ description: IGNORED }) @Allow() runtime_version_constraint?: unknown;
  @ApiPropertyOptional({ description: IGNORED }) @Allow() worker_selector?: unknown;
  @ApiPropertyOptional({ description: IGNORED }) @Allow() worker_tolerations?: unknown;
  @ApiPropertyOptional({ description: IGNORED }) @Allow() worker_affinity?: unknown;
  @ApiPropertyOptional({ description: IGNORED }) @Allow() accesses_mcp?: unknown;
  @ApiPropertyOptional({ description: IGNORED }) @Allow() default_execution_permission_set_refs?: unknown;
  @ApiPropertyOptional({ description: IGNORED }) @Allow() reference_visibility?: unknown;
  @ApiPropertyOptional({ description: IGNORED }) @Allow() reference_allowed_pack_refs?: unknown;
  @ApiPropertyOptional({ description: IGNORED }) @Allow() artifact_retention_policy?: unknown;
  @ApiPropertyOptional({ description: IGNORED }) @Allow() artifact_retention_limit?: unknown;
  @ApiPropertyOptional({ description: IGNORED }) @Allow() log_retention_policy?: unknown;
  @ApiPropertyOptional({ description: IGNORED }) @Allow() log_retention_limit?: unknown;
  @ApiPropertyOptional({ description: `${IGNORED}; the parameters arrive on stdin, as PARAM_* variables and in ATTUNE_PARAMETER_FILE` }) @Allow() parameter_delivery?: unknown;
  @ApiPropertyOptional({ description: IGNORED }) @Allow() parameter_format?: unknown;
}

/** The Attune-only fields above, by name: the service drops them before building the action. */
export const IGNORED_ATTUNE_ACTION_FIELDS = [
  'required_worker_runtimes', 'runtime_version_constraint', 'worker_selector', 'worker_tolerations', 'worker_affinity',
  'accesses_mcp', 'default_execution_permission_set_refs', 'reference_visibility', 'reference_allowed_pack_refs',
  'artifact_retention_policy', 'artifact_retention_limit', 'log_retention_policy', 'log_retention_limit',
  'parameter_delivery', 'parameter_format',
] as const;

const RUNTIME_FIELD_DOC =
  `${RUNTIME_DOC}. Attune sends a numeric runtime id here: a number is accepted and ignored (use runtime_ref). ` +
  'When no runtime is named, it is inferred from the entrypoint as Attune does: .py python, .js node, otherwise shell';

export class CreateActionDto extends AttuneActionFieldsDto {
  @ApiProperty({ example: 'demo.hello', description: 'pack.name; the pack must exist' })
  @IsString() @Matches(ACTION_REF_PATTERN, { message: 'ref must look like pack.name (letters, digits, _ and -)' })
  ref!: string;
  @ApiPropertyOptional({ example: 'demo', description: 'When given, must be the pack of ref' }) @IsOptional() @IsString() pack_ref?: string;
  @ApiPropertyOptional({ example: 'python', description: RUNTIME_FIELD_DOC, oneOf: [{ type: 'string' }, { type: 'integer' }] })
  @IsOptional() @IsStringOrInteger()
  runtime?: string | number;
  @ApiProperty({ example: 'actions/hello.py', description: ENTRYPOINT_DOC }) @IsString() @MaxLength(100_000) entrypoint!: string;
}

export class UpdateActionDto extends AttuneActionFieldsDto {
  @ApiPropertyOptional({ description: RUNTIME_FIELD_DOC, oneOf: [{ type: 'string' }, { type: 'integer' }] })
  @IsOptional() @IsStringOrInteger()
  runtime?: string | number;
  @ApiPropertyOptional({ description: ENTRYPOINT_DOC }) @IsOptional() @IsString() @MaxLength(100_000) entrypoint?: string;
}
