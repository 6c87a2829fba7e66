import {
  Allow,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';

/** Kinds of artifacts (the API contract). `progress` holds entries in `data`, never versions. */
export const ARTIFACT_TYPES = ['file_binary', 'file_datatable', 'file_image', 'file_text', 'progress', 'url', 'other'] as const;
export type ArtifactType = (typeof ARTIFACT_TYPES)[number];

/** Who an artifact belongs to; `owner` names it (a pack ref, an identity login…), empty for `system`. */
export const ARTIFACT_SCOPES = ['system', 'identity', 'pack', 'action', 'sensor'] as const;
/** Who made an artifact: an execution's log (the platform only), an action (its execution token), or a user. */
export const ARTIFACT_ORIGINS = ['log', 'action', 'user'] as const;
export type ArtifactOrigin = (typeof ARTIFACT_ORIGINS)[number];
export type ArtifactScope = (typeof ARTIFACT_SCOPES)[number];

/**
 * `versions`: keep the newest `retention_limit` versions (applied at each commit).
 * `days|hours|minutes`: delete versions older than `retention_limit` of that unit (applied by
 * artifact-store's periodic retention sweep). No policy keeps every version.
 */
export const RETENTION_POLICIES = ['versions', 'days', 'hours', 'minutes'] as const;
export type RetentionPolicy = (typeof RETENTION_POLICIES)[number];

export const RETENTION_UNIT_MS: Readonly<Record<Exclude<RetentionPolicy, 'versions'>, number>> = {
  days: 86_400_000,
  hours: 3_600_000,
  minutes: 60_000,
};

/** Artifact refs: what a client may choose (`pack.name`, `exec-42-log`, `report:2026-q1`…); no `/`, so a ref is one path segment. */
export const ARTIFACT_REF_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;

/**
 * Uploads live under this prefix: the api (and artifact-store's log join) write each one under a
 * new key, and a commit either adopts it as the blob of a new content (it stays where it is) or
 * deletes it (the content is stored already). Uploads no blob row names are collected once they
 * are older than the staging TTL. A bucket lifecycle rule must never expire this prefix.
 */
export const UPLOAD_PREFIX = 'blobs/u/';
/** Where uploads were staged before blobs were adopted in place; only the collector still reads it. */
export const STAGING_PREFIX = 'staging/';

/** `30d`, `6h`, `15m`, `45s`, `2w`: what `older_than` accepts. */
export const DURATION_PATTERN = /^([1-9][0-9]{0,8})([smhdw])$/;
const DURATION_UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Milliseconds of a duration such as `7d`; undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION_PATTERN.exec(text);
  return m ? Number(m[1]) * DURATION_UNIT_MS[m[2]] : undefined;
}

/** Fields of an artifact a client may set; shared by the create and update commands. */
class ArtifactFieldsV1 {
  @IsOptional() @IsIn(ARTIFACT_SCOPES) scope?: ArtifactScope;
  @IsOptional() @IsString() @MaxLength(255) owner?: string;
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsString() @MaxLength(255) name?: string | null;
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsString() @MaxLength(4000) description?: string | null;
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsString() @MaxLength(255) content_type?: string | null;
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsIn(RETENTION_POLICIES) retention_policy?: RetentionPolicy | null;
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsInt() @Min(1) retention_limit?: number | null;
  /** Free JSON; for `progress` artifacts the array of entries. */
  @Allow() data?: unknown;
}

/** api → artifact-store (request/reply): create an artifact. Replies with the ArtifactRecordV1. */
export class ArtifactCreateV1 extends ArtifactFieldsV1 {
  @IsString() @IsNotEmpty() @MaxLength(255) @Matches(ARTIFACT_REF_PATTERN) ref!: string;
  /** Who asks: a login or `execution:<id>` (the api always says); unset means the platform. */
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsString() @MaxLength(255) created_by?: string | null;
  @IsIn(ARTIFACT_TYPES) type!: ArtifactType;
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsInt() @Min(1) execution?: number | null;
  /** `user` unless said; `log` is never accepted here (log artifacts are made by artifact-store alone). */
  @IsOptional() @IsIn(['action', 'user']) origin?: Exclude<ArtifactOrigin, 'log'>;
  /** The workflow run (parent execution) and task of the execution that makes it; set by the api from the token. */
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsInt() @Min(1) workflow_execution?: number | null;
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsString() @MaxLength(255) task_name?: string | null;
}

/** Changes some fields of an artifact. Replies with the ArtifactRecordV1. */
export class ArtifactUpdateV1 extends ArtifactFieldsV1 {
  @IsInt() @Min(1) artifact_id!: number;
}

/** Deletes an artifact with all its versions (blobs are collected once nothing references them). */
export class ArtifactDeleteV1 {
  @IsInt() @Min(1) artifact_id!: number;
}

/** Appends one entry to a `progress` artifact's data (BAD_REQUEST for other types). Replies with the record. */
export class ArtifactProgressAppendV1 {
  @IsInt() @Min(1) artifact_id!: number;
  @Allow() entry!: unknown;
}

/**
 * Turns an upload into the next version of an artifact. artifact-store checks the object's size
 * (and a recorded sha256) against these, keeps the upload as the blob of a new content (stored
 * once, whatever artifact it belongs to) or deletes it when the content is stored already, writes
 * the version and applies the `versions` retention. Replies with the ArtifactVersionRecordV1. A
 * refused commit leaves the upload to its producer; one whose outcome is unknown (no reply) must
 * be left in place: the sweep deletes it later unless a commit adopted it.
 */
export class ArtifactCommitV1 {
  @IsInt() @Min(1) artifact_id!: number;
  @IsString() @Matches(/^blobs\/u\/[A-Za-z0-9._-]+$/) staged_key!: string;
  @IsInt() @Min(0) size_bytes!: number;
  @IsString() @Matches(/^[0-9a-f]{64}$/) sha256!: string;
  @IsString() @IsNotEmpty() @MaxLength(255) content_type!: string;
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsInt() @Min(1) execution?: number | null;
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsString() @MaxLength(255) created_by?: string | null;
  /**
   * `gzip`: the upload holds the content gzip-compressed (`stored_size` bytes); `size_bytes` and
   * `sha256` are the original content's, which downloads give back.
   */
  @IsOptional() @IsIn(['gzip']) encoding?: 'gzip';
  @IsOptional() @IsInt() @Min(0) stored_size?: number;
}

/** Deletes one version; replies `{deleted: true}` (NOT_FOUND when there is no such version). */
export class ArtifactVersionDeleteV1 {
  @IsInt() @Min(1) artifact_id!: number;
  @IsInt() @Min(1) version!: number;
}

/** Cleanup by age (`POST /api/v1/artifacts/cleanup`). Replies with an ArtifactCleanupReportV1. */
export class ArtifactCleanupV1 {
  @IsString() @Matches(DURATION_PATTERN) older_than!: string;
  @IsOptional() @IsIn(ARTIFACT_SCOPES) scope?: ArtifactScope;
  @IsOptional() @IsString() @MaxLength(255) owner?: string;
  @IsOptional() @IsIn(ARTIFACT_TYPES) type?: ArtifactType;
  @IsOptional() @IsBoolean() dry_run?: boolean;
}

/** What artifact-store replies for an artifact: the API's Artifact shape. */
export interface ArtifactRecordV1 {
  id: number;
  ref: string;
  type: ArtifactType;
  scope: ArtifactScope;
  owner: string;
  name: string | null;
  description: string | null;
  content_type: string | null;
  size_bytes: number;
  execution: number | null;
  /** The workflow run (parent execution) whose task made it, and that task's name; null outside workflows. */
  workflow_execution: number | null;
  task_name: string | null;
  origin: ArtifactOrigin;
  retention_policy: RetentionPolicy | null;
  retention_limit: number | null;
  data: unknown;
  latest_version: number | null;
  /** A login, `execution:<id>`, or `platform`; null for artifacts from before it was recorded. */
  created_by: string | null;
  created: string;
  updated: string;
}

/** The API's Version shape. */
export interface ArtifactVersionRecordV1 {
  id: number;
  artifact: number;
  version: number;
  execution: number | null;
  content_type: string;
  size_bytes: number;
  sha256: string;
  created_by: string | null;
  created: string;
}

export interface ArtifactCleanupItemV1 {
  artifact: number;
  ref: string;
  type: ArtifactType;
  /** Version numbers removed (or that would be). */
  versions: number[];
  /** True when the artifact itself goes too (nothing of it is newer than the cutoff). */
  artifact_deleted: boolean;
}

export interface ArtifactCleanupReportV1 {
  dry_run: boolean;
  older_than: string;
  /** ISO-8601: versions created before it, and artifacts untouched since, are removed. */
  cutoff: string;
  deleted_artifacts: number;
  deleted_versions: number;
  /** Bytes of stored blobs that nothing references any more (identical content counts once). */
  freed_bytes: number;
  items: ArtifactCleanupItemV1[];
}

/**
 * A new upload key. It starts with its creation time so the garbage collector can tell an
 * abandoned upload from one in progress without asking the store for dates.
 */
export function newUploadKey(id: string, now = Date.now()): string {
  return `${UPLOAD_PREFIX}${now}-${id}`;
}

/** When the upload behind a key started (ms since the epoch); undefined for keys this code did not write. */
export function uploadKeyCreatedAt(key: string): number | undefined {
  const m = /^(?:blobs\/u|staging)\/(\d{13})-[A-Za-z0-9._-]+$/.exec(key);
  return m ? Number(m[1]) : undefined;
}
