import { PACK_REF_PATTERN } from '@attune/contracts';
import type { PackEntity, PackVersionEntity } from '@attune/persistence';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { ActionDto } from '../actions/action.dto';
import { iso, timestamps } from '../common/records';
import { OptionalJsonObject } from '../common/field.decorators';

const CONF_SCHEMA_DOC =
  'Schema of the pack configuration (Attune\'s flat form `{key: {type, required?, secret?}}` or JSON Schema), kept as written';
const CONFIG_DOC = 'Pack configuration values, kept as written; a value whose conf_schema entry has `secret: true` is shown as "********"';

export class PackDto {
  @ApiProperty() id!: number;
  @ApiProperty({ example: 'demo' }) ref!: string;
  @ApiProperty() label!: string;
  @ApiProperty({ example: '1.0.0' }) version!: string;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ description: 'Built-in packs (core) are registered by the platform and cannot be changed' }) is_standard!: boolean;
  @ApiProperty({ nullable: true, type: String, description: 'SHA-256 of the current archive; null until one is uploaded' })
  digest!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, description: CONF_SCHEMA_DOC }) conf_schema!: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: true, description: CONFIG_DOC }) config!: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Free-form metadata (author, homepage…), as written' }) meta!: Record<string, unknown>;
  @ApiProperty({ type: [String] }) tags!: string[];
  @ApiProperty({ type: [String], description: 'Runtimes the pack needs (shell, python, nodejs…), as written' }) runtime_deps!: string[];
  @ApiProperty({ type: [String], description: 'Refs of packs this pack needs, as written (not enforced)' }) dependencies!: string[];
  @ApiProperty() created!: string;
  @ApiProperty() updated!: string;
}

export const MASK = '********';

/** Keys that conf_schema marks secret, in the flat form or under JSON Schema `properties`. */
export function secretKeys(confSchema: Record<string, unknown>): Set<string> {
  const props = (confSchema.type === 'object' && typeof confSchema.properties === 'object' && confSchema.properties !== null
    ? confSchema.properties
    : confSchema) as Record<string, unknown>;
  return new Set(Object.entries(props).filter(([, v]) => typeof v === 'object' && v !== null && (v as { secret?: unknown }).secret === true).map(([k]) => k));
}

function maskedConfig(config: Record<string, unknown>, confSchema: Record<string, unknown>): Record<string, unknown> {
  const secret = secretKeys(confSchema);
  if (!secret.size) return config;
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, secret.has(k) && v !== null && v !== undefined ? MASK : v]));
}

export function toPackDto(p: PackEntity): PackDto {
  return {
    id: p.id,
    ref: p.ref,
    label: p.label,
    version: p.version,
    description: p.description,
    is_standard: p.isStandard,
    digest: p.digest ?? null,
    conf_schema: p.confSchema ?? {},
    config: maskedConfig(p.config ?? {}, p.confSchema ?? {}),
    meta: p.meta ?? {},
    tags: p.tags ?? [],
    runtime_deps: p.runtimeDeps ?? [],
    dependencies: p.dependencies ?? [],
    ...timestamps(p),
  };
}

export class PackFileDto {
  @ApiProperty({ example: 'actions/hello.py' }) path!: string;
  @ApiProperty() size!: number;
}

export class PackVersionDto {
  @ApiProperty({ description: 'SHA-256 of the .tar.gz, lowercase hex' }) digest!: string;
  @ApiProperty({ description: 'The version pack.yaml declared' }) version!: string;
  @ApiProperty() size_bytes!: number;
  @ApiProperty({ type: [PackFileDto] }) files!: PackFileDto[];
  @ApiProperty({ nullable: true, type: Number, description: 'Identity that uploaded it' }) uploaded_by!: number | null;
  @ApiProperty({ description: 'Whether this is the pack\'s current archive' }) current!: boolean;
  @ApiProperty({ example: '/api/v1/packs/demo/versions/3f…/download' }) download_url!: string;
  @ApiProperty() created!: string;
}

export function toPackVersionDto(v: PackVersionEntity, currentDigest: string | null): PackVersionDto {
  return {
    digest: v.digest,
    version: v.version,
    size_bytes: Number(v.sizeBytes),
    files: v.files,
    uploaded_by: v.uploadedBy,
    current: v.digest === currentDigest,
    download_url: `/api/v1/packs/${v.packRef}/versions/${v.digest}/download`,
    created: iso(v.created),
  };
}

export class PackUploadResultDto {
  @ApiProperty({ type: PackDto }) pack!: PackDto;
  @ApiProperty({ type: PackVersionDto }) version!: PackVersionDto;
  @ApiProperty({ description: 'False when the same bytes had been uploaded for this pack before' }) new_version!: boolean;
  @ApiProperty({ type: [ActionDto], description: 'The pack\'s actions, now exactly those of the archive' }) actions!: ActionDto[];
  @ApiProperty({ type: [String], description: 'Actions the archive no longer has, deleted' }) removed_actions!: string[];
  @ApiProperty({ type: [String], description: 'Keys in the YAML that nothing reads (typos?)' }) warnings!: string[];
}

/** Attune's pack attributes, accepted on create and update and stored as written. */
class PackAttributesDto {
  @OptionalJsonObject({ description: CONF_SCHEMA_DOC }) conf_schema?: Record<string, unknown>;
  @OptionalJsonObject({ description: 'Pack configuration values' }) config?: Record<string, unknown>;
  @OptionalJsonObject() meta?: Record<string, unknown>;
  @ApiPropertyOptional({ type: [String] }) @IsOptional() @IsArray() @ArrayMaxSize(1000) @IsString({ each: true }) tags?: string[];
  @ApiPropertyOptional({ type: [String] }) @IsOptional() @IsArray() @ArrayMaxSize(1000) @IsString({ each: true }) runtime_deps?: string[];
  @ApiPropertyOptional({ type: [String] }) @IsOptional() @IsArray() @ArrayMaxSize(1000) @IsString({ each: true }) dependencies?: string[];
  @ApiPropertyOptional({ description: 'Accepted for Attune clients and ignored: packs created over the API are never built in' })
  @IsOptional() @IsBoolean()
  is_standard?: boolean;
}

export class CreatePackDto extends PackAttributesDto {
  @ApiProperty({ example: 'demo', description: 'Lowercase letters, digits, _ and -' })
  @IsString() @Matches(PACK_REF_PATTERN, { message: 'ref must be lowercase letters, digits, _ and - (at most 64)' })
  ref!: string;
  @ApiProperty({ example: 'Demo pack' }) @IsString() @IsNotEmpty() @MaxLength(255) label!: string;
  @ApiProperty({ example: '1.0.0' }) @IsString() @IsNotEmpty() @MaxLength(64) version!: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(10_000) description?: string;
}

export class UpdatePackDto extends PackAttributesDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @IsNotEmpty() @MaxLength(255) label?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @IsNotEmpty() @MaxLength(64) version?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(10_000) description?: string;
}

/** The attributes of a create or update body, in the registry's names; absent ones stay undefined. */
export function packAttributesOf(dto: PackAttributesDto) {
  return {
    confSchema: dto.conf_schema,
    config: dto.config,
    meta: dto.meta,
    tags: dto.tags,
    runtimeDeps: dto.runtime_deps,
    dependencies: dto.dependencies,
  };
}

export class RegisterPackDto {
  @ApiProperty({ example: '/opt/attune/packs/monitoring', description: 'An absolute path to a pack directory inside one of ATTUNE_PACK_ROOTS' })
  @IsString() @IsNotEmpty() @MaxLength(4096)
  path!: string;
  @ApiPropertyOptional({ default: false, description: 'Accepted for Attune clients and ignored: registering always replaces the pack (as an upload does)' })
  @IsOptional() @IsBoolean()
  force?: boolean;
  @ApiPropertyOptional({ default: false, description: 'Accepted for Attune clients and ignored: this platform runs no pack tests' })
  @IsOptional() @IsBoolean()
  skip_tests?: boolean;
}

export class PackRegisterResultDto extends PackUploadResultDto {
  @ApiProperty({ description: 'Attune\'s field: always true, this platform runs no pack tests' }) tests_skipped!: boolean;
  @ApiProperty({ nullable: true, type: 'object', additionalProperties: true, description: 'Attune\'s field: always null (no pack tests)' }) test_result!: null;
}
