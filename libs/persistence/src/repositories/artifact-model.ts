import {
  type ArtifactOrigin,
  type ArtifactRecordV1,
  type ArtifactScope,
  type ArtifactType,
  type ArtifactVersionRecordV1,
  DomainError,
  type RetentionPolicy,
} from '@attune/contracts';
import { nullableNumber, pgError, type Row } from './rows';

/** One artifact: metadata, and a summary of its newest live version. */
export interface Artifact extends Pick<ArtifactRecordV1, 'id' | 'ref' | 'type' | 'scope' | 'owner' | 'name' | 'description' | 'execution' | 'origin' | 'data'> {
  contentType: string | null;
  /** Size of the newest live version (0 when there is none). */
  sizeBytes: number;
  /** The workflow run (parent execution) and task whose execution made it; null outside workflows. */
  workflowExecution: number | null;
  taskName: string | null;
  retentionPolicy: RetentionPolicy | null;
  retentionLimit: number | null;
  latestVersion: number | null;
  /** A login, `execution:<id>`, or `platform`; null for artifacts from before it was recorded. */
  createdBy: string | null;
  created: Date;
  updated: Date;
}

/** One immutable version: its bytes are the blob `sha256`. */
export interface ArtifactVersion extends Pick<ArtifactVersionRecordV1, 'id' | 'artifact' | 'version' | 'execution' | 'sha256'> {
  contentType: string;
  sizeBytes: number;
  createdBy: string | null;
  created: Date;
}

export interface NewArtifact {
  ref: string;
  type: ArtifactType;
  scope?: ArtifactScope;
  owner?: string;
  name?: string | null;
  description?: string | null;
  contentType?: string | null;
  execution?: number | null;
  workflowExecution?: number | null;
  taskName?: string | null;
  /** Default `user`. */
  origin?: ArtifactOrigin;
  retentionPolicy?: RetentionPolicy | null;
  retentionLimit?: number | null;
  data?: unknown;
  /** Who asks: a login, `execution:<id>`; unset means the platform itself. */
  createdBy?: string | null;
}

/** Fields to change; `undefined` leaves a field as it is. */
export type ArtifactPatch = Partial<Omit<NewArtifact, 'ref' | 'type' | 'execution' | 'origin' | 'createdBy' | 'workflowExecution' | 'taskName'>>;

/** Upper bound of a progress artifact's entries: each append rewrites the row. */
export const MAX_PROGRESS_ENTRIES = 10_000;

export function artifactFromRow(r: Row): Artifact {
  return {
    id: Number(r.id),
    ref: r.ref as string,
    type: r.type as ArtifactType,
    scope: r.scope as ArtifactScope,
    owner: r.owner as string,
    name: (r.name as string | null) ?? null,
    description: (r.description as string | null) ?? null,
    contentType: (r.content_type as string | null) ?? null,
    sizeBytes: Number(r.size_bytes),
    execution: nullableNumber(r.execution),
    workflowExecution: nullableNumber(r.workflow_execution),
    taskName: (r.task_name as string | null) ?? null,
    origin: (r.origin as ArtifactOrigin | undefined) ?? 'user',
    retentionPolicy: (r.retention_policy as RetentionPolicy | null) ?? null,
    retentionLimit: nullableNumber(r.retention_limit),
    data: r.data ?? null,
    latestVersion: nullableNumber(r.latest_version),
    createdBy: (r.created_by as string | null) ?? null,
    created: r.created as Date,
    updated: r.updated as Date,
  };
}

export function versionFromRow(r: Row): ArtifactVersion {
  return {
    id: Number(r.id),
    artifact: Number(r.artifact),
    version: Number(r.version),
    execution: nullableNumber(r.execution),
    contentType: r.content_type as string,
    sizeBytes: Number(r.size_bytes),
    sha256: r.sha256 as string,
    createdBy: (r.created_by as string | null) ?? null,
    created: r.created as Date,
  };
}

/** The DomainError of a constraint an artifact write broke, or the error itself. */
export function artifactWriteError(err: unknown, input?: Pick<NewArtifact, 'ref' | 'execution'>): unknown {
  const { code, constraint } = pgError(err);
  if (code === '23505' && constraint === 'artifacts_ref_key') {
    return new DomainError('CONFLICT', `artifact ref "${input?.ref ?? ''}" already exists`);
  }
  if (code === '23503' && /execution/.test(constraint ?? '')) {
    return new DomainError('NOT_FOUND', `execution ${input?.execution ?? ''} not found`);
  }
  if (code === '23514') return new DomainError('VALIDATION_ERROR', `artifact fields are inconsistent (${constraint ?? 'check'})`);
  return err;
}
