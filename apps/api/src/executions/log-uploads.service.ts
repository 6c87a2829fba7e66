import { DomainError, type ExecutionLogCommittedV1, type ExecutionLogCommitV1, type LogStreamName, MessageTypes } from '@attune/contracts';
import { BLOB_STORE, BlobTooLargeError, type BlobStore, ChecksumMismatchError, SizeMismatchError } from '@attune/storage';
import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '../auth/auth.decorators';
import type { RawBody } from '../common/http/upload';
import { ApiConfig } from '../config/api.config';
import { ArtifactsService } from '../artifacts/artifacts.service';

/** What the worker says of the log it sends, from its headers. */
export interface LogUploadHeaders {
  contentLength?: string;
  /** The log's length when the body is chunked (its digest then follows as a trailer). */
  logSize?: string;
  sha256?: string;
  truncated?: string;
}

const LOG_CONTENT_TYPE = 'text/plain; charset=utf-8';

/**
 * `PUT /api/v1/executions/{id}/logs/{stream}`: a worker stores an execution's whole log once
 * the process has ended, before it reports the result (terminal means complete). The body is
 * the raw log, streamed into an upload key while the store hashes it, checked against the
 * announced length and SHA-256, and then committed by artifact-store as the version of that
 * execution's log artifact, bound to it by id. Only the worker's log token for this execution
 * gets here (see AuthGuard).
 */
@Injectable()
export class LogUploads {
  constructor(
    private readonly artifacts: ArtifactsService,
    private readonly config: ApiConfig,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
  ) {}

  async store(principal: Principal, executionId: number, stream: LogStreamName, headers: LogUploadHeaders, body: RawBody): Promise<ExecutionLogCommittedV1> {
    // The route takes only a log token, for this execution only (LogWriterOnly, ExecutionScoped).
    if (principal.kind !== 'log-writer') throw new DomainError('FORBIDDEN', 'only the platform writes execution logs');
    // The length comes first (Content-Length, X-Log-Size) or, for a log sent while it was still
    // growing, after the body as a trailer; the digest likewise. Both are checked against what was
    // stored before anything commits.
    const sizeTrailed = body.announcesTrailer('x-log-size');
    const announced = headers.logSize ?? headers.contentLength;
    const byteCount = (v: string | undefined) => (v !== undefined && /^[1-9][0-9]{0,15}$/.test(v) ? Number(v) : NaN);
    const size = byteCount(announced);
    if (!sizeTrailed && !Number.isSafeInteger(size)) {
      throw new DomainError('VALIDATION_ERROR', 'a log upload needs its length', [{ field: 'X-Log-Size', message: 'must be a positive byte count (or Content-Length, or an X-Log-Size trailer)' }]);
    }
    if (size > this.config.artifactMaxUploadBytes) {
      throw new DomainError('PAYLOAD_TOO_LARGE', `the log exceeds the limit of ${this.config.artifactMaxUploadBytes} bytes`);
    }
    // A digest sent with the log (a header) is checked against what is stored; the api measures
    // the digest of what it stores in any case and answers it.
    const headerSha = headers.sha256?.toLowerCase();
    if (headerSha !== undefined && !/^[0-9a-f]{64}$/.test(headerSha)) {
      throw new DomainError('VALIDATION_ERROR', 'X-Checksum-Sha256 is not a SHA-256', [{ field: 'X-Checksum-Sha256', message: 'must be 64 hex digits' }]);
    }
    const flag = (v: string | undefined) => {
      if (v !== undefined && !['true', 'false'].includes(v)) {
        throw new DomainError('VALIDATION_ERROR', 'X-Log-Truncated is true or false', [{ field: 'X-Log-Truncated', message: 'must be true or false' }]);
      }
      return v === 'true';
    };
    let truncated = flag(headers.truncated);
    const key = this.artifacts.newUploadKey();
    let sha256: string;
    let stored: number;
    try {
      const put = await this.blobs.put(key, body.stream, {
        maxBytes: sizeTrailed ? this.config.artifactMaxUploadBytes : size,
        contentType: LOG_CONTENT_TYPE,
        ...(sizeTrailed ? {} : { size }),
        ...(headerSha ? { expectedSha256: headerSha } : {}),
      });
      sha256 = put.sha256;
      stored = put.size;
      if (sizeTrailed) {
        const claimed = byteCount(body.trailer('x-log-size') ?? '');
        if (claimed !== put.size) throw new SizeMismatchError(key, Number.isNaN(claimed) ? -1 : claimed, put.size);
        truncated = truncated || flag(body.trailer('x-log-truncated'));
      }
    } catch (err) {
      await this.blobs.delete(key).catch(() => undefined);
      if (err instanceof SizeMismatchError || err instanceof BlobTooLargeError) {
        throw new DomainError('VALIDATION_ERROR', `the body does not hold the bytes announced`, [{ field: headers.logSize || sizeTrailed ? 'X-Log-Size' : 'Content-Length', message: 'does not match the body' }]);
      }
      if (err instanceof ChecksumMismatchError) {
        throw new DomainError('VALIDATION_ERROR', `the log hashes to ${err.actualSha256}, not ${err.expectedSha256}`, [{ field: 'X-Checksum-Sha256', message: 'does not match the body' }]);
      }
      throw err;
    }
    const cmd: ExecutionLogCommitV1 = {
      execution_id: executionId,
      attempt: principal.attempt,
      stream,
      staged_key: key,
      size_bytes: stored,
      sha256,
      truncated,
    };
    // A log commit is one HEAD and a transaction: a short wait, so that the worker soon tries
    // again while artifact-store restarts (its retry finds the log stored if this one lands late).
    return this.artifacts.commitStaged<ExecutionLogCommittedV1>(MessageTypes.ExecutionLogCommit, cmd, key, executionId, this.config.logCommitTimeoutMs);
  }
}
