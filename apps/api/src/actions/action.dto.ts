import { ACTION_REF_PATTERN, ARTIFACT_TYPES, OUTPUT_FORMATS, WORKER_LOST_POLICIES } from '@attune/contracts';
import type { ActionEntity } from '@attune/persistence';
import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Allow, IsBoolean, IsInt, IsOptional, IsString, Matches, MaxLength, Min, ValidateBy } from 'class-validator';
import { PageQuery } from '../common/pagination';
import { packMember, timestamps } from '../common/records';
import { OptionalJsonObject } from '../common/field.decorators';

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

const ARTIFACTS_DOC =
  'Files kept after each run: paths (globs allowed) relative to the work directory. Each match is uploaded as a version of ' +
  'an artifact of the execution (name defaults to the file name) before the execution turns terminal. A missing required ' +
  'file fails the run; a missing optional one is listed in result.artifacts_missing. when: success keeps it only on success.';

export class ArtifactDeclarationDto {
  @ApiProperty({ example: 'dist/*.bin' }) path!: string;
  @ApiPropertyOptional({ description: 'The artifact name; defaults to the file name' }) name?: string;
  @ApiPropertyOptional({ enum: ARTIFACT_TYPES, description: 'Defaults from the extension (file_text, file_datatable, file_image, else file_binary)' }) type?: string;
  @ApiPropertyOptional({ default: false }) required?: boolean;
  @ApiPropertyOptional({ enum: ['always', 'success'], default: 'always' }) when?: string;
}

const RUNTIME_DOC =
  'shell, python (python3) or node; aliases such as core.shell, python3 or nodejs are accepted. `workflow` is refused here with 422: ' +
  'workflows are written with /api/v1/workflows, which takes their definition';
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
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ enum: ['shell', 'python', 'node', 'workflow'], description: 'workflow: a workflow (see /api/v1/workflows), run by the executor as a parent execution' }) runtime!: string;
  @ApiProperty({ example: 'core.shell', description: 'The runtime as Attune names it (core.shell, core.python, core.node)' }) runtime_ref!: string;
  @ApiProperty({ description: ENTRYPOINT_DOC }) entrypoint!: string;
  @ApiProperty({ description: 'True when entrypoint is inline shell text rather than a script in the pack' }) inline!: boolean;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Always in JSON Schema form' }) param_schema!: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true }) out_schema!: Record<string, unknown> | null;
  @ApiProperty({ enum: OUTPUT_FORMATS, description: 'How stdout is parsed into result.data (text: not parsed)' }) output_format!: string;
  @ApiProperty({ nullable: true, type: Number }) timeout_seconds!: number | null;
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ description: 'True when created over the API (POST /actions), false when registered from a pack archive or built in' }) is_adhoc!: boolean;
  @ApiProperty({ enum: WORKER_LOST_POLICIES, description: 'What happens to a run whose worker is lost' }) on_worker_lost!: string;
  @ApiProperty({ type: [ArtifactDeclarationDto], description: ARTIFACTS_DOC }) artifacts!: ArtifactDeclarationDto[];
  @ApiProperty() created!: string;
  @ApiProperty() updated!: string;
}

export function toActionDto(a: ActionEntity): ActionDto {
  return {
    ...packMember(a),
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
    artifacts: a.artifacts ?? [],
    ...timestamps(a),
  };
}

/**
 * The fields an action is written with. Their meaning is checked by the same rules as a pack's
 * action YAML (@attune/packs buildActionDefinition); here only their JSON types.
 */
class ActionFieldsDto {
  @ApiPropertyOptional({ example: 'Say hello' }) @IsOptional() @IsString() @MaxLength(255) label?: string;
  @ApiPropertyOptional({ nullable: true, type: String }) @IsOptional() @IsString() @MaxLength(10_000) description?: string;
  @OptionalJsonObject({ description: PARAM_SCHEMA_DOC })
  param_schema?: Record<string, unknown>;
  @OptionalJsonObject({ nullable: true, description: 'JSON Schema of result.data' })
  out_schema?: Record<string, unknown> | null;
  @ApiPropertyOptional({ enum: OUTPUT_FORMATS, default: 'text' }) @IsOptional() @IsString() output_format?: string;
  @ApiPropertyOptional({ nullable: true, type: Number, minimum: 1 }) @IsOptional() @IsInt() @Min(1) timeout_seconds?: number | null;
  @ApiPropertyOptional({ default: true }) @IsOptional() @IsBoolean() enabled?: boolean;
  @ApiPropertyOptional({ enum: WORKER_LOST_POLICIES, default: 'abandon' }) @IsOptional() @IsString() on_worker_lost?: string;
  @ApiPropertyOptional({
    type: 'array',
    items: { oneOf: [{ type: 'string' }, { $ref: '#/components/schemas/ArtifactDeclarationDto' }] },
    description: `${ARTIFACTS_DOC} A plain string is a path. Checked like a pack's action YAML (422 names each bad field).`,
  })
  @Allow()
  artifacts?: unknown;
}

const IGNORED = 'Accepted for Attune clients and ignored: this platform has no such feature yet (see docs/compatibility.md)';

/**
 * Fields Attune's action requests carry for features this platform does not have. They are
 * accepted with any value and ignored, so that a request written for Attune is never refused over them.
 */
const IGNORED_FIELDS = [
  'runtime_version_constraint', 'worker_selector', 'worker_tolerations', 'worker_affinity',
  'accesses_mcp', 'default_execution_permission_set_refs', 'reference_visibility', 'reference_allowed_pack_refs',
  'artifact_retention_policy', 'artifact_retention_limit', 'log_retention_policy', 'log_retention_limit',
  'parameter_delivery', 'parameter_format',
];

/** What the documentation of an ignored field says after IGNORED, where there is more to say. */
const IGNORED_NOTES: Record<string, string> = {
  parameter_delivery: 'the parameters arrive on stdin, as PARAM_* variables and in ATTUNE_PARAMETER_FILE',
};

/**
 * Attune's own action fields: its name for the runtime, the runtimes a worker must have, and the
 * IGNORED_FIELDS (declared below the class). Of these `required_worker_runtimes` alone is read,
 * to choose the runtime when nothing else names it.
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
}

// Declared before the classes that extend it, which take its documented properties as they stand.
// Any JSON is accepted; `type` says `object`, as a property declared `unknown` would.
for (const field of IGNORED_FIELDS) {
  const description = IGNORED_NOTES[field] ? `${IGNORED}; ${IGNORED_NOTES[field]}` : IGNORED;
  applyDecorators(Allow(), ApiPropertyOptional({ type: Object, description }))(AttuneActionFieldsDto.prototype, field);
}

/** The Attune-only fields by name: the service drops them before building the action. */
export const IGNORED_ATTUNE_ACTION_FIELDS = ['required_worker_runtimes', ...IGNORED_FIELDS];

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
