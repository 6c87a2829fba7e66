import { DomainError, type ExecutionLogCommittedV1, type ExecutionLogCommitV1, type ExecutionLogV1 } from '@attune/contracts';
import { ArtifactRepository, ArtifactVersionRepository, ExecutionLogRepository, type LogStreamName } from '@attune/persistence';
import { type Logger, ROOT_LOGGER } from '@attune/service-kit';
import { BLOB_STORE, type BlobStore } from '@attune/storage';
import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Counter } from 'prom-client';
import { VersionCommitter } from '../artifacts/version-committer.service';

const chunkBytes = new Counter({ name: 'attune_log_chunk_bytes_total', help: 'Live log bytes received from workers and kept' });
const chunksSkipped = new Counter({ name: 'attune_log_chunks_skipped_total', help: 'Live log chunks not kept: the whole log was stored already, or an older attempt' });
const logsStored = new Counter({ name: 'attune_logs_stored_total', help: 'Whole execution logs committed as log artifact versions', labelNames: ['result'] });

const LOG_CONTENT_TYPE = 'text/plain; charset=utf-8';

/** The ref a log artifact is given: for people to read, never to find it (it is found by execution id). */
export function logArtifactRef(execution: number, stream: LogStreamName): string {
  return `execution.${execution}.${stream}`;
}

/** Where a live chunk's bytes live until the whole log is stored (and a grace period after). */
export function logChunkKey(execution: number, stream: LogStreamName, attempt: number, seq: number): string {
  return `logs/${execution}/${stream}/${attempt}/${seq}`;
}

/**
 * Execution logs, in two parts:
 * - live chunks from workers, kept while the execution runs, for live tails and so that a lost
 *   worker leaves the output it had sent readable. Each chunk is written to the bucket before its
 *   row, so a row always has its bytes; a redelivered chunk rewrites identical bytes and its row
 *   insert is a no-op.
 * - the whole log, uploaded by the worker once the process has ended and committed here as the
 *   version of the execution's own log artifact (bound to the execution by id, origin `log`).
 */
@Injectable()
export class LogRecorder {
  constructor(
    private readonly logs: ExecutionLogRepository,
    private readonly artifactRows: ArtifactRepository,
    private readonly versions: ArtifactVersionRepository,
    private readonly committer: VersionCommitter,
    @Inject(BLOB_STORE) private readonly store: BlobStore,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  async record(msg: ExecutionLogV1): Promise<void> {
    // Most chunks that arrive after the whole log are skipped before any write.
    const current = await this.logs.findStream(msg.execution_id, msg.stream);
    if (current && (msg.attempt < current.attempt || (msg.attempt === current.attempt && current.state === 'closed'))) {
      chunksSkipped.inc();
      return;
    }
    const bytes = Buffer.from(msg.data, 'base64');
    if (bytes.length === 0) return; // an empty final chunk of an older worker: nothing to keep
    const blobKey = logChunkKey(msg.execution_id, msg.stream, msg.attempt, msg.seq);
    await this.store.put(blobKey, bytes, { contentType: 'application/octet-stream' });
    const { outcome, orphanedKeys } = await this.logs.recordChunk({
      execution: msg.execution_id,
      stream: msg.stream,
      attempt: msg.attempt,
      seq: msg.seq,
      offset: msg.offset,
      size: bytes.length,
      blobKey,
    });
    if (outcome === 'stale-attempt' || outcome === 'closed') {
      chunksSkipped.inc();
      await this.store.delete(blobKey);
    }
    if (outcome === 'recorded') chunkBytes.inc(bytes.length);
    await Promise.all(orphanedKeys.map((k) => this.store.delete(k)));
  }

  /**
   * Makes an uploaded whole log the newest version of its execution's log artifact and closes the
   * stream. Idempotent: the same attempt's log committed again answers the stored version. An
   * older attempt's log is refused (409): a newer attempt runs, or ran, in its place.
   */
  async commit(cmd: ExecutionLogCommitV1): Promise<ExecutionLogCommittedV1> {
    const { execution_id: execution, stream, attempt } = cmd;
    const start = await this.logs.beginCommit(execution, stream, attempt);
    if (start.outcome === 'stale') {
      throw new DomainError('CONFLICT', `attempt ${attempt} of execution ${execution} was superseded by attempt ${start.currentAttempt}`);
    }
    if (start.outcome === 'committed') {
      const existing = await this.answerStored(cmd, start.row.artifact);
      if (existing) return existing;
    }
    if (start.outcome === 'open') await Promise.all(start.orphanedKeys.map((k) => this.store.delete(k)));
    const artifact = await this.logArtifact(execution, stream);
    const { version } = await this.committer.commitVersion(artifact, cmd.staged_key, cmd.size_bytes, cmd.sha256, {
      contentType: LOG_CONTENT_TYPE,
      execution,
      createdBy: 'platform',
    });
    const current = await this.logs.markCommitted(execution, stream, attempt, {
      artifact,
      totalBytes: cmd.size_bytes,
      sha256: cmd.sha256,
      truncated: cmd.truncated,
    });
    if (!current) throw new DomainError('CONFLICT', `attempt ${attempt} of execution ${execution} was superseded while its log was stored`);
    logsStored.inc({ result: 'ok' });
    this.logger.info({ execution_id: execution, stream, attempt, bytes: cmd.size_bytes, artifact, version: version.version }, 'log stored');
    return { execution_id: execution, stream, artifact_id: artifact, version: version.version, size_bytes: version.sizeBytes, sha256: version.sha256 };
  }

  /** A log of this attempt is stored already: the same one answers its version (a redelivered or retried commit). */
  private async answerStored(cmd: ExecutionLogCommitV1, artifact: number | null): Promise<ExecutionLogCommittedV1 | null> {
    const latest = artifact === null ? null : await this.versions.findLatestVersion(artifact);
    if (!latest || artifact === null) return null;
    if (latest.sha256 !== cmd.sha256) {
      throw new DomainError('CONFLICT', `the ${cmd.stream} log of execution ${cmd.execution_id} attempt ${cmd.attempt} is stored already with other content`);
    }
    // The retried upload is not needed: the sweep would delete it too, this is sooner.
    await this.store.delete(cmd.staged_key).catch(() => undefined);
    return { execution_id: cmd.execution_id, stream: cmd.stream, artifact_id: artifact, version: latest.version, size_bytes: latest.sizeBytes, sha256: latest.sha256 };
  }

  /**
   * The execution's log artifact for the stream, made on first use. It is bound by (execution,
   * name, origin `log`); its ref is only a label. Should the usual ref be taken by another
   * artifact (made before `execution.*` refs were reserved), the log gets a ref of its own.
   */
  private async logArtifact(execution: number, stream: LogStreamName): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      const existing = await this.logs.findLogArtifact(execution, stream);
      if (existing !== null) return existing;
      const ref = attempt === 0 ? logArtifactRef(execution, stream) : `${logArtifactRef(execution, stream)}.${randomBytes(4).toString('hex')}`;
      try {
        const created = await this.artifactRows.create({
          ref,
          type: 'file_text',
          execution,
          name: stream,
          origin: 'log',
          description: `${stream} of execution ${execution}`,
          contentType: LOG_CONTENT_TYPE,
        });
        return created.id;
      } catch (err) {
        // A duplicate: made meanwhile by a concurrent commit (found above next time round), or the ref is taken.
        if (!(err instanceof DomainError && err.code === 'CONFLICT') || attempt >= 3) throw err;
      }
    }
  }
}
