import type { ArtifactRecordV1, ArtifactVersionRecordV1 } from '@attune/contracts';
import type { Artifact, ArtifactVersion } from './artifact-model';

/**
 * An artifact and a version as the API shows them (and as artifact-store's replies carry them):
 * the one mapping from rows to that shape, used by both services.
 */
export function toArtifactRecord(a: Artifact): ArtifactRecordV1 {
  return {
    id: a.id,
    ref: a.ref,
    type: a.type,
    scope: a.scope,
    owner: a.owner,
    name: a.name,
    description: a.description,
    content_type: a.contentType,
    size_bytes: a.sizeBytes,
    execution: a.execution,
    workflow_execution: a.workflowExecution,
    task_name: a.taskName,
    origin: a.origin,
    retention_policy: a.retentionPolicy,
    retention_limit: a.retentionLimit,
    data: a.data,
    latest_version: a.latestVersion,
    created_by: a.createdBy,
    created: new Date(a.created).toISOString(),
    updated: new Date(a.updated).toISOString(),
  };
}

export function toVersionRecord(v: ArtifactVersion): ArtifactVersionRecordV1 {
  return {
    id: v.id,
    artifact: v.artifact,
    version: v.version,
    execution: v.execution,
    content_type: v.contentType,
    size_bytes: v.sizeBytes,
    sha256: v.sha256,
    created_by: v.createdBy,
    created: new Date(v.created).toISOString(),
  };
}
