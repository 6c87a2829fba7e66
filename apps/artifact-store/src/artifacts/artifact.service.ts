import {
  type ArtifactCreateV1,
  type ArtifactProgressAppendV1,
  type ArtifactRecordV1,
  type ArtifactUpdateV1,
  DomainError,
} from '@attune/contracts';
import { ArtifactRepository, ArtifactVersionRepository, toArtifactRecord } from '@attune/persistence';
import { Injectable } from '@nestjs/common';
import { BlobCollector } from '../retention/blob-collector.service';
import { VersionRetention } from '../retention/version-retention.service';

/** Artifact metadata: create, change, delete, and progress entries. */
@Injectable()
export class ArtifactService {
  constructor(
    private readonly artifacts: ArtifactRepository,
    private readonly versions: ArtifactVersionRepository,
    private readonly retention: VersionRetention,
    private readonly collector: BlobCollector,
  ) {}

  async create(cmd: ArtifactCreateV1): Promise<ArtifactRecordV1> {
    checkRetention(cmd.retention_policy, cmd.retention_limit, true);
    if (cmd.type === 'progress' && cmd.data !== undefined && cmd.data !== null && !Array.isArray(cmd.data)) {
      throw new DomainError('VALIDATION_ERROR', 'a progress artifact holds an array of entries', [
        { field: 'data', message: 'must be an array for a progress artifact' },
      ]);
    }
    if (cmd.execution != null && !(await this.artifacts.executionExists(cmd.execution))) {
      throw new DomainError('NOT_FOUND', `execution ${cmd.execution} not found`);
    }
    const artifact = await this.artifacts.create({
      ref: cmd.ref,
      type: cmd.type,
      scope: cmd.scope,
      owner: cmd.owner,
      name: cmd.name,
      description: cmd.description,
      contentType: cmd.content_type,
      execution: cmd.execution,
      workflowExecution: cmd.workflow_execution,
      taskName: cmd.task_name,
      retentionPolicy: cmd.retention_policy,
      retentionLimit: cmd.retention_limit,
      data: cmd.type === 'progress' ? (cmd.data ?? []) : cmd.data,
      origin: cmd.origin,
      createdBy: cmd.created_by,
    });
    return toArtifactRecord(artifact);
  }

  async update(cmd: ArtifactUpdateV1): Promise<ArtifactRecordV1> {
    const current = await this.artifacts.findById(cmd.artifact_id);
    if (!current) throw new DomainError('NOT_FOUND', `artifact ${cmd.artifact_id} not found`);
    // Policy and limit come as a pair; changing one keeps the other unless it is cleared.
    const policy = cmd.retention_policy !== undefined ? cmd.retention_policy : current.retentionPolicy;
    const limit = cmd.retention_limit !== undefined ? cmd.retention_limit : current.retentionLimit;
    checkRetention(policy, limit, false);
    const updated = await this.retention.update(cmd.artifact_id, {
      scope: cmd.scope,
      owner: cmd.owner,
      name: cmd.name,
      description: cmd.description,
      contentType: cmd.content_type,
      retentionPolicy: cmd.retention_policy,
      retentionLimit: cmd.retention_limit,
      data: cmd.data,
    });
    if (!updated) throw new DomainError('NOT_FOUND', `artifact ${cmd.artifact_id} not found`);
    if (updated.released.length) await this.collector.collect(updated.released);
    return toArtifactRecord(updated.artifact);
  }

  async delete(artifactId: number): Promise<{ deleted: true }> {
    const deleted = await this.artifacts.delete(artifactId);
    if (!deleted) throw new DomainError('NOT_FOUND', `artifact ${artifactId} not found`);
    await this.collector.collect(deleted.released);
    return { deleted: true };
  }

  async appendProgress(cmd: ArtifactProgressAppendV1): Promise<ArtifactRecordV1> {
    return toArtifactRecord(await this.artifacts.appendProgress(cmd.artifact_id, cmd.entry));
  }

  async deleteVersion(artifactId: number, version: number): Promise<{ deleted: true }> {
    const deleted = await this.versions.deleteVersion(artifactId, version);
    if (!deleted) throw new DomainError('NOT_FOUND', `artifact ${artifactId} has no version ${version}`);
    await this.collector.collect(deleted.released);
    return { deleted: true };
  }
}

function checkRetention(policy: unknown, limit: unknown, creating: boolean): void {
  const hasPolicy = policy !== undefined && policy !== null;
  const hasLimit = limit !== undefined && limit !== null;
  if (hasPolicy === hasLimit) return;
  const field = hasPolicy ? 'retention_limit' : 'retention_policy';
  throw new DomainError('VALIDATION_ERROR', `retention_policy and retention_limit go together`, [
    { field, message: creating ? `is required with ${hasPolicy ? 'retention_policy' : 'retention_limit'}` : 'would be left without its pair' },
  ]);
}
