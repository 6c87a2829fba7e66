import {
  type ArtifactCleanupReportV1,
  type ArtifactCleanupV1,
  type ArtifactCommitV1,
  type ArtifactCreateV1,
  type ArtifactDeleteV1,
  type ArtifactProgressAppendV1,
  type ArtifactRecordV1,
  type ArtifactUpdateV1,
  type ArtifactVersionDeleteV1,
  type ArtifactVersionRecordV1,
  type ExecutionLogsPurgeReportV1,
  type ExecutionLogsPurgeV1,
  MessageTypes,
} from '@attune/contracts';
import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { ArtifactCleanup } from '../retention/artifact-cleanup.service';
import { ExecutionLogsPurger } from '../retention/execution-logs-purger.service';
import { toVersionRecord } from '@attune/persistence';
import { ArtifactService } from './artifact.service';
import { VersionCommitter } from './version-committer.service';

/**
 * The artifact commands the api sends by request/reply. What a handler returns is the reply; a
 * DomainError it throws reaches the api with its code (and becomes the HTTP status there).
 */
@Controller()
export class ArtifactCommandsConsumer {
  constructor(
    private readonly artifacts: ArtifactService,
    private readonly committer: VersionCommitter,
    private readonly cleanups: ArtifactCleanup,
    private readonly logsPurger: ExecutionLogsPurger,
  ) {}

  @EventPattern<string>(MessageTypes.ArtifactCreate)
  create(@Payload() cmd: ArtifactCreateV1): Promise<ArtifactRecordV1> {
    return this.artifacts.create(cmd);
  }

  @EventPattern<string>(MessageTypes.ArtifactUpdate)
  update(@Payload() cmd: ArtifactUpdateV1): Promise<ArtifactRecordV1> {
    return this.artifacts.update(cmd);
  }

  @EventPattern<string>(MessageTypes.ArtifactDelete)
  delete(@Payload() cmd: ArtifactDeleteV1): Promise<{ deleted: true }> {
    return this.artifacts.delete(cmd.artifact_id);
  }

  @EventPattern<string>(MessageTypes.ArtifactProgressAppend)
  appendProgress(@Payload() cmd: ArtifactProgressAppendV1): Promise<ArtifactRecordV1> {
    return this.artifacts.appendProgress(cmd);
  }

  @EventPattern<string>(MessageTypes.ArtifactCommit)
  async commit(@Payload() cmd: ArtifactCommitV1): Promise<ArtifactVersionRecordV1> {
    const outcome = await this.committer.commitVersion(cmd.artifact_id, cmd.staged_key, cmd.size_bytes, cmd.sha256, {
      contentType: cmd.content_type,
      execution: cmd.execution,
      createdBy: cmd.created_by,
      ...(cmd.encoding ? { encoding: cmd.encoding, storedSize: cmd.stored_size } : {}),
    });
    return toVersionRecord(outcome.version);
  }

  @EventPattern<string>(MessageTypes.ArtifactVersionDelete)
  deleteVersion(@Payload() cmd: ArtifactVersionDeleteV1): Promise<{ deleted: true }> {
    return this.artifacts.deleteVersion(cmd.artifact_id, cmd.version);
  }

  @EventPattern<string>(MessageTypes.ArtifactCleanup)
  cleanup(@Payload() cmd: ArtifactCleanupV1): Promise<ArtifactCleanupReportV1> {
    return this.cleanups.cleanup(cmd);
  }

  /** From the executor's run retention, before it deletes these executions. */
  @EventPattern<string>(MessageTypes.ArtifactExecutionLogsPurge)
  purgeExecutionLogs(@Payload() cmd: ExecutionLogsPurgeV1): Promise<ExecutionLogsPurgeReportV1> {
    return this.logsPurger.purge(cmd);
  }
}
