import { IsIdFilter } from '../common/id.pipe';
import {
  ARTIFACT_REF_PATTERN,
  ARTIFACT_SCOPES,
  ARTIFACT_ORIGINS,
  ARTIFACT_TYPES,
  type ArtifactOrigin,
  type ArtifactRecordV1,
  type ArtifactScope,
  type ArtifactType,
  type ArtifactVersionRecordV1,
  DURATION_PATTERN,
  RETENTION_POLICIES,
  type RetentionPolicy,
} from '@attune/contracts';
import { type Artifact, type ArtifactVersion, toArtifactRecord, toVersionRecord } from '@attune/persistence';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Allow, IsBoolean, IsIn, IsInt, IsISO8601, IsNotEmpty, IsOptional, IsString, Matches, MaxLength, Min, ValidateIf } from 'class-validator';
import { CursorPageQuery } from '../common/pagination';
import { timestamps } from '../common/records';

/** A media type such as `text/plain; charset=utf-8`: nothing that could break a header. */
export const CONTENT_TYPE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*(\s*;\s*[A-Za-z0-9_.+-]+=("[^"\r\n]*"|[A-Za-z0-9_.+-]+))*$/;

const nullable = (_: object, v: unknown) => v !== null;

export class ArtifactDto {
  @ApiProperty() id!: number;
  @ApiProperty({ example: 'python_example.run-42-log' }) ref!: string;
  @ApiProperty({ enum: ARTIFACT_TYPES }) type!: ArtifactType;
  @ApiProperty({ enum: ARTIFACT_SCOPES }) scope!: ArtifactScope;
  @ApiProperty({ description: 'Who the artifact belongs to within its scope (a pack ref, a login…); empty for system' }) owner!: string;
  @ApiProperty({ nullable: true, type: String }) name!: string | null;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ nullable: true, type: String }) content_type!: string | null;
  @ApiProperty({ description: 'Size of the latest version in bytes (0 without versions)' }) size_bytes!: number;
  @ApiProperty({ nullable: true, type: Number, description: 'The execution that produced it' }) execution!: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'The workflow run (parent execution) whose task produced it; null outside workflows' })
  workflow_execution!: number | null;
  @ApiProperty({ nullable: true, type: String, description: 'The workflow task that produced it; null outside workflows' }) task_name!: string | null;
  @ApiProperty({ enum: ARTIFACT_ORIGINS, description: 'Who made it: `log` (an execution\'s stdout/stderr, written by the platform only), `action` (an execution token), `user`' })
  origin!: ArtifactOrigin;
  @ApiProperty({ nullable: true, enum: RETENTION_POLICIES, description: 'null keeps every version' })
  retention_policy!: RetentionPolicy | null;
  @ApiProperty({ nullable: true, type: Number }) retention_limit!: number | null;
  @ApiPropertyOptional({ description: 'Free JSON; for progress artifacts the array of entries' }) data!: unknown;
  @ApiProperty({ nullable: true, type: Number }) latest_version!: number | null;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Who created it: a login, execution:<id> for an execution token, or platform (execution logs); null before this was recorded',
  })
  created_by!: string | null;
  @ApiProperty() created!: string;
  @ApiProperty() updated!: string;
}

export class ArtifactSummaryDto {
  @ApiProperty() id!: number;
  @ApiProperty() ref!: string;
  @ApiProperty({ enum: ARTIFACT_TYPES }) type!: ArtifactType;
  @ApiProperty({ nullable: true, type: String }) name!: string | null;
  @ApiProperty({ nullable: true, type: String }) content_type!: string | null;
  @ApiProperty() size_bytes!: number;
  @ApiProperty({ nullable: true, type: Number }) latest_version!: number | null;
  @ApiProperty({ nullable: true, type: Number }) execution!: number | null;
  @ApiProperty({ enum: ARTIFACT_ORIGINS, description: '`log` for the execution\'s own stdout/stderr' }) origin!: ArtifactOrigin;
  @ApiProperty() created!: string;
  @ApiProperty() updated!: string;
}

export class ArtifactVersionDto {
  @ApiProperty() id!: number;
  @ApiProperty({ description: 'The artifact id' }) artifact!: number;
  @ApiProperty({ description: 'Version number, from 1, never reused' }) version!: number;
  @ApiProperty({ nullable: true, type: Number }) execution!: number | null;
  @ApiProperty() content_type!: string;
  @ApiProperty() size_bytes!: number;
  @ApiProperty({ description: 'Lowercase hex SHA-256 of the content' }) sha256!: string;
  @ApiProperty({ nullable: true, type: String, description: 'Login, execution:<id> for an execution token, or platform' }) created_by!: string | null;
  @ApiProperty() created!: string;
}

export class CreateArtifactDto {
  @ApiProperty({ example: 'mypack.build-42-report', description: 'Unique; letters, digits and _ . : -' })
  @IsString() @IsNotEmpty() @MaxLength(255) @Matches(ARTIFACT_REF_PATTERN, { message: 'ref may hold letters, digits and _ . : - only' })
  ref!: string;

  @ApiProperty({ enum: ARTIFACT_TYPES }) @IsIn(ARTIFACT_TYPES) type!: ArtifactType;
  @ApiPropertyOptional({ enum: ARTIFACT_SCOPES, default: 'system' }) @IsOptional() @IsIn(ARTIFACT_SCOPES) scope?: ArtifactScope;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(255) owner?: string;
  @ApiPropertyOptional({ nullable: true, type: String }) @IsOptional() @ValidateIf(nullable) @IsString() @MaxLength(255) name?: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) @IsOptional() @ValidateIf(nullable) @IsString() @MaxLength(4000) description?: string | null;
  @ApiPropertyOptional({ nullable: true, type: String, example: 'text/plain' })
  @IsOptional() @ValidateIf(nullable) @IsString() @MaxLength(255) @Matches(CONTENT_TYPE_PATTERN, { message: 'content_type must be a media type' })
  content_type?: string | null;
  @ApiPropertyOptional({ nullable: true, type: Number, description: 'Execution to link it to (an execution token links its own)' })
  @IsOptional() @ValidateIf(nullable) @IsInt() @Min(1) execution?: number | null;
  @ApiPropertyOptional({ nullable: true, enum: RETENTION_POLICIES }) @IsOptional() @ValidateIf(nullable) @IsIn(RETENTION_POLICIES)
  retention_policy?: RetentionPolicy | null;
  @ApiPropertyOptional({ nullable: true, type: Number, minimum: 1 }) @IsOptional() @ValidateIf(nullable) @IsInt() @Min(1)
  retention_limit?: number | null;
  @ApiPropertyOptional({ description: 'Free JSON; a progress artifact starts with an array of entries' }) @Allow() data?: unknown;
}

export class UpdateArtifactDto {
  @ApiPropertyOptional({ enum: ARTIFACT_SCOPES }) @IsOptional() @IsIn(ARTIFACT_SCOPES) scope?: ArtifactScope;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(255) owner?: string;
  @ApiPropertyOptional({ nullable: true, type: String }) @IsOptional() @ValidateIf(nullable) @IsString() @MaxLength(255) name?: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) @IsOptional() @ValidateIf(nullable) @IsString() @MaxLength(4000) description?: string | null;
  @ApiPropertyOptional({ nullable: true, type: String })
  @IsOptional() @ValidateIf(nullable) @IsString() @MaxLength(255) @Matches(CONTENT_TYPE_PATTERN, { message: 'content_type must be a media type' })
  content_type?: string | null;
  @ApiPropertyOptional({ nullable: true, enum: RETENTION_POLICIES }) @IsOptional() @ValidateIf(nullable) @IsIn(RETENTION_POLICIES)
  retention_policy?: RetentionPolicy | null;
  @ApiPropertyOptional({ nullable: true, type: Number, minimum: 1 }) @IsOptional() @ValidateIf(nullable) @IsInt() @Min(1)
  retention_limit?: number | null;
  @ApiPropertyOptional() @Allow() data?: unknown;
}

export class ArtifactListQuery extends CursorPageQuery {
  @ApiPropertyOptional({ enum: ARTIFACT_TYPES }) @IsOptional() @IsIn(ARTIFACT_TYPES) type?: ArtifactType;
  @ApiPropertyOptional({ enum: ARTIFACT_SCOPES }) @IsOptional() @IsIn(ARTIFACT_SCOPES) scope?: ArtifactScope;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(255) owner?: string;
  @ApiPropertyOptional() @IsOptional() @IsIdFilter() execution?: number;
  @ApiPropertyOptional({
    description: "Artifacts made by the tasks of this workflow run (the parent execution's id). A workflow task's token may list its own run only",
  })
  @IsOptional() @IsIdFilter()
  workflow_execution?: number;
  @ApiPropertyOptional({ description: 'Artifacts made by the workflow task of this name' }) @IsOptional() @IsString() @MaxLength(255) task?: string;
  @ApiPropertyOptional({ description: 'Substring of the name, case-insensitive' }) @IsOptional() @IsString() @MaxLength(255) name?: string;
  @ApiPropertyOptional({ example: '2026-01-01T00:00:00Z' }) @IsOptional() @IsISO8601() created_before?: string;
  @ApiPropertyOptional({ example: '2026-01-01T00:00:00Z' }) @IsOptional() @IsISO8601() created_after?: string;
  @ApiPropertyOptional({
    enum: [...ARTIFACT_ORIGINS, 'all'],
    description: 'Only artifacts of this origin. Without it execution logs (`log`) are left out: `action` and `user` are listed; `all` lists every origin',
  })
  @IsOptional() @IsIn([...ARTIFACT_ORIGINS, 'all'])
  origin?: ArtifactOrigin | 'all';
}

/** The origins a list shows: the asked one, every one for `all`, else all but execution logs. */
export function originsOf(origin: ArtifactOrigin | 'all' | undefined): ArtifactOrigin[] | undefined {
  if (origin === 'all') return undefined;
  return origin ? [origin] : ARTIFACT_ORIGINS.filter((o) => o !== 'log');
}

export class ProgressEntryDto {
  @ApiProperty({
    description: 'One progress entry, appended to the artifact data',
    example: { iteration: 3, percent: 30, message: 'step 3 of 10', timestamp: '2026-01-01T00:00:03Z' },
  })
  @ValidateIf(() => true)
  @IsNotEmpty({ message: 'entry is required' })
  entry!: unknown;
}

export class CreateJsonVersionDto {
  @ApiProperty({ description: 'The content: any JSON value, stored as JSON (a string with a text/* content_type is stored as text)' })
  @ValidateIf(() => true)
  @IsNotEmpty({ message: 'content is required' })
  content!: unknown;
  @ApiPropertyOptional({ default: 'application/json' })
  @IsOptional() @IsString() @MaxLength(255) @Matches(CONTENT_TYPE_PATTERN, { message: 'content_type must be a media type' })
  content_type?: string;
  @ApiPropertyOptional({ description: 'Execution that produced this version' }) @IsOptional() @IsInt() @Min(1) execution?: number;
}

export class UploadVersionDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    description:
      'Exact size of the file in bytes. Send it before the file part: the content is then stored in one write of known length ' +
      '(faster, on S3 one PutObject instead of a multipart upload). A file of another size is refused with 422 and nothing is kept.',
  })
  size?: number;
  @ApiPropertyOptional({
    pattern: '^[0-9a-fA-F]{64}$',
    description:
      'SHA-256 of the file (hex), before the file part. The content is checked against it before its last byte is stored; ' +
      'a mismatch is refused with 422 and nothing is kept.',
  })
  sha256?: string;
  @ApiPropertyOptional({
    enum: ['gzip'],
    description:
      'Before the file: store the content gzip-compressed (what the worker asks for under a workflow\'s artifact_compression). ' +
      'The version keeps the original size and SHA-256, and downloads give back the original bytes.',
  })
  compress?: string;
  @ApiProperty({ type: 'string', format: 'binary', description: 'The content, streamed (never buffered whole)' }) file!: unknown;
  @ApiPropertyOptional({ description: "Media type; default: the part's type, then the artifact's" }) content_type?: string;
  @ApiPropertyOptional({ description: 'Execution that produced this version' }) execution?: number;
}

export class CleanupDto {
  @ApiProperty({ example: '7d', description: 'Age: 45s, 15m, 6h, 30d or 2w' })
  @IsString() @Matches(DURATION_PATTERN, { message: 'older_than must look like 30d, 6h, 15m or 45s' })
  older_than!: string;
  @ApiPropertyOptional({ enum: ARTIFACT_SCOPES }) @IsOptional() @IsIn(ARTIFACT_SCOPES) scope?: ArtifactScope;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(255) owner?: string;
  @ApiPropertyOptional({ enum: ARTIFACT_TYPES }) @IsOptional() @IsIn(ARTIFACT_TYPES) type?: ArtifactType;
  @ApiPropertyOptional({ default: false, description: 'Report what would be deleted, delete nothing' }) @IsOptional() @IsBoolean() dry_run?: boolean;
}

export class CleanupItemDto {
  @ApiProperty() artifact!: number;
  @ApiProperty() ref!: string;
  @ApiProperty({ enum: ARTIFACT_TYPES }) type!: ArtifactType;
  @ApiProperty({ type: [Number], description: 'Version numbers deleted (or that would be)' }) versions!: number[];
  @ApiProperty({ description: 'The artifact itself is deleted: nothing of it is newer than the cutoff' }) artifact_deleted!: boolean;
}

export class CleanupReportDto {
  @ApiProperty() dry_run!: boolean;
  @ApiProperty() older_than!: string;
  @ApiProperty({ description: 'Versions created before it, and artifacts unchanged since, go' }) cutoff!: string;
  @ApiProperty() deleted_artifacts!: number;
  @ApiProperty() deleted_versions!: number;
  @ApiProperty({ description: 'Bytes of stored content nothing references any more (identical content counts once)' }) freed_bytes!: number;
  @ApiProperty({ type: [CleanupItemDto] }) items!: CleanupItemDto[];
}

export class DeletedDto {
  @ApiProperty() deleted!: boolean;
}

export class ManifestVersionDto {
  @ApiProperty() version!: number;
  @ApiProperty() size_bytes!: number;
  @ApiProperty() sha256!: string;
  @ApiProperty() content_type!: string;
  @ApiProperty({ example: '/api/v1/artifacts/7/versions/3/download' }) download_url!: string;
  @ApiProperty() created!: string;
  @ApiProperty({ description: 'The bytes are present in the blob store (checked when the manifest is built)' }) stored!: boolean;
}

export class ManifestArtifactDto {
  @ApiProperty() id!: number;
  @ApiProperty() ref!: string;
  @ApiProperty({ enum: ARTIFACT_TYPES }) type!: ArtifactType;
  @ApiProperty({ nullable: true, type: String }) name!: string | null;
  @ApiProperty({ type: [ManifestVersionDto] }) versions!: ManifestVersionDto[];
}

export class ManifestDto {
  @ApiProperty({ description: 'The execution id' }) execution!: number;
  @ApiProperty() action_ref!: string;
  @ApiProperty({ description: 'The execution status' }) status!: string;
  @ApiProperty({ type: [ManifestArtifactDto] }) artifacts!: ManifestArtifactDto[];
}

export function toArtifactDto(a: Artifact | ArtifactRecordV1): ArtifactDto {
  return 'latest_version' in a ? a : toArtifactRecord(a);
}

export function toSummaryDto(a: Artifact): ArtifactSummaryDto {
  return {
    id: a.id,
    ref: a.ref,
    type: a.type,
    name: a.name,
    content_type: a.contentType,
    size_bytes: a.sizeBytes,
    latest_version: a.latestVersion,
    execution: a.execution,
    origin: a.origin,
    ...timestamps(a),
  };
}

export function toVersionDto(v: ArtifactVersion | ArtifactVersionRecordV1): ArtifactVersionDto {
  return 'size_bytes' in v ? v : toVersionRecord(v);
}
