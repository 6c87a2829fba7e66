import { type ExecutionLogV1, newUploadKey } from '@attune/contracts';
import { ArtifactRepository, ExecutionLogRepository, type LogStreamName } from '@attune/persistence';
import { type Logger, ROOT_LOGGER } from '@attune/service-kit';
import { BLOB_STORE, type BlobStore } from '@attune/storage';
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { Counter } from 'prom-client';
import { ArtifactService } from '../artifacts/artifact.service';
import { VersionCommitter } from '../artifacts/version-committer.service';

const chunkBytes = new Counter({ name: 'attune_log_chunk_bytes_total', help: 'Log bytes received from workers' });
const joined = new Counter({ name: 'attune_logs_finalized_total', help: 'Execution log streams joined into their log artifact', labelNames: ['result'] });

/** The ref of an execution's log artifact for one stream. */
export function logArtifactRef(execution: number, stream: LogStreamName): string {
  return `execution.${execution}.${stream}`;
}

/** Where a chunk's bytes live until the stream is joined. */
export function logChunkKey(execution: number, stream: LogStreamName, attempt: number, seq: number): string {
  return `logs/${execution}/${stream}/${attempt}/${seq}`;
}

/**
 * Persists execution output as it arrives and, once a stream is complete, joins it into a
 * version of that execution's own `file_text` log artifact (never shared between executions).
 * Each chunk is written to the bucket before its row, so a row always has its bytes; a
 * redelivered chunk rewrites identical bytes and its row insert is a no-op.
 */
@Injectable()
export class LogRecorder {
  constructor(
    private readonly logs: ExecutionLogRepository,
    private readonly artifactRows: ArtifactRepository,
    private readonly artifacts: ArtifactService,
    private readonly committer: VersionCommitter,
    @Inject(BLOB_STORE) private readonly store: BlobStore,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  async record(msg: ExecutionLogV1): Promise<void> {
    const bytes = Buffer.from(msg.data, 'base64');
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
      eof: msg.eof ? { totalBytes: msg.total_bytes ?? 0, sha256: msg.sha256 ?? '', truncated: msg.truncated ?? false } : undefined,
    });
    if (outcome === 'stale-attempt') await this.store.delete(blobKey);
    if (outcome === 'recorded') chunkBytes.inc(bytes.length);
    await Promise.all(orphanedKeys.map((k) => this.store.delete(k)));
    await this.finalize(msg.execution_id, msg.stream);
  }

  /** Joins a complete stream into its log artifact; a no-op unless the stream is complete and unclaimed. */
  async finalize(execution: number, stream: LogStreamName): Promise<void> {
    const claimed = await this.logs.claimForFinalize(execution, stream);
    if (!claimed) return;
    const log = this.logger.child({ execution_id: execution, stream });
    try {
      if (claimed.totalBytes === 0) {
        // Nothing was printed: no artifact, just a closed, empty stream.
        const keys = await this.logs.close(execution, stream, null);
        await Promise.all(keys.map((k) => this.store.delete(k)));
        return;
      }
      const chunks = await this.logs.chunks(execution, stream, claimed.attempt);
      const store = this.store;
      async function* joinedBytes() {
        for (const c of chunks) yield* (await store.get(c.blobKey)) as AsyncIterable<Buffer>;
      }
      const staged = newUploadKey(`log-${execution}-${stream}-${randomUUID()}`);
      const put = await this.store.put(staged, Readable.from(joinedBytes()), { contentType: 'text/plain; charset=utf-8' });
      if (put.size !== claimed.totalBytes || put.sha256 !== claimed.sha256) {
        // The worker's own count disagrees with what arrived: keep what arrived, say so loudly.
        log.error({ expected_bytes: claimed.totalBytes, got_bytes: put.size, expected_sha256: claimed.sha256, got_sha256: put.sha256 }, 'joined log differs from what the worker sent');
        joined.inc({ result: 'mismatch' });
      }
      const artifactId = await this.logArtifact(execution, stream);
      await this.committer.commitVersion(artifactId, staged, put.size, put.sha256, {
        contentType: 'text/plain; charset=utf-8',
        execution,
        createdBy: 'worker',
      });
      const keys = await this.logs.close(execution, stream, artifactId);
      await Promise.all(keys.map((k) => this.store.delete(k)));
      joined.inc({ result: 'ok' });
      log.info({ bytes: put.size, chunks: chunks.length, artifact: artifactId }, 'log stored');
    } catch (err) {
      await this.logs.releaseClaim(execution, stream);
      throw err;
    }
  }

  private async logArtifact(execution: number, stream: LogStreamName): Promise<number> {
    const ref = logArtifactRef(execution, stream);
    const existing = await this.artifactRows.findByRef(ref);
    if (existing) return existing.id;
    try {
      const created = await this.artifacts.create({
        ref,
        type: 'file_text',
        execution,
        name: stream,
        description: `${stream} of execution ${execution}`,
        content_type: 'text/plain; charset=utf-8',
      } as Parameters<ArtifactService['create']>[0]);
      return created.id;
    } catch (err) {
      // Created meanwhile by a concurrent join (a duplicate ref): use that one.
      const again = await this.artifactRows.findByRef(ref);
      if (again) return again.id;
      throw err;
    }
  }
}
