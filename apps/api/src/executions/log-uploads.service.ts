import { DomainError, type ExecutionLogCommittedV1, type ExecutionLogCommitV1, type LogStreamName, MessageTypes } from '@attune/contracts';
import { BLOB_STORE, BlobTooLargeError, type BlobStore, ChecksumMismatchError, SizeMismatchError } from '@attune/storage';
import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import type { Principal } from '../auth/auth.decorators';
import { ApiConfig } from '../config/api.config';
import { ArtifactsService } from '../artifacts/artifacts.service';

/** What the worker says of the log it sends, from its headers. */
export interface LogUploadHeaders {
  contentLength?: string;
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

  async store(principal: Principal, executionId: number, stream: LogStreamName, headers: LogUploadHeaders, req: Request): Promise<ExecutionLogCommittedV1> {
    if (principal.kind !== 'log-writer' || principal.executionId !== executionId) {
      throw new DomainError('FORBIDDEN', 'this log token is for another execution');
    }
    const size = headers.contentLength !== undefined && /^[1-9][0-9]{0,15}$/.test(headers.contentLength) ? Number(headers.contentLength) : NaN;
    if (!Number.isSafeInteger(size)) {
      throw new DomainError('VALIDATION_ERROR', 'a log upload needs its length', [{ field: 'Content-Length', message: 'must be a positive byte count' }]);
    }
    if (size > this.config.artifactMaxUploadBytes) {
      throw new DomainError('PAYLOAD_TOO_LARGE', `the log exceeds the limit of ${this.config.artifactMaxUploadBytes} bytes`);
    }
    const sha256 = headers.sha256?.toLowerCase();
    if (!sha256 || !/^[0-9a-f]{64}$/.test(sha256)) {
      throw new DomainError('VALIDATION_ERROR', 'a log upload needs its SHA-256', [{ field: 'X-Checksum-Sha256', message: 'must be 64 hex digits' }]);
    }
    if (headers.truncated !== undefined && !['true', 'false'].includes(headers.truncated)) {
      throw new DomainError('VALIDATION_ERROR', 'X-Log-Truncated is true or false', [{ field: 'X-Log-Truncated', message: 'must be true or false' }]);
    }
    const key = this.artifacts.newUploadKey();
    try {
      await new Promise<void>((resolve, reject) => {
        const aborted = () => reject(new DomainError('BAD_REQUEST', 'the client closed the connection during the upload'));
        req.once('aborted', aborted);
        this.blobs
          .put(key, req, { size, expectedSha256: sha256, maxBytes: size, contentType: LOG_CONTENT_TYPE })
          .then(() => resolve(), reject)
          .finally(() => req.off('aborted', aborted));
      });
    } catch (err) {
      await this.blobs.delete(key).catch(() => undefined);
      if (err instanceof SizeMismatchError || err instanceof BlobTooLargeError) {
        throw new DomainError('VALIDATION_ERROR', `the body does not hold the ${size} bytes Content-Length announced`, [{ field: 'Content-Length', message: 'does not match the body' }]);
      }
      if (err instanceof ChecksumMismatchError) {
        throw new DomainError('VALIDATION_ERROR', `the log hashes to ${err.actualSha256}, not ${sha256}`, [{ field: 'X-Checksum-Sha256', message: 'does not match the body' }]);
      }
      throw err;
    }
    const cmd: ExecutionLogCommitV1 = {
      execution_id: executionId,
      attempt: principal.attempt,
      stream,
      staged_key: key,
      size_bytes: size,
      sha256,
      truncated: headers.truncated === 'true',
    };
    // A log commit is one HEAD and a transaction: a short wait, so that the worker soon tries
    // again while artifact-store restarts (its retry finds the log stored if this one lands late).
    return this.artifacts.commitStaged<ExecutionLogCommittedV1>(MessageTypes.ExecutionLogCommit, cmd, key, executionId, this.config.logCommitTimeoutMs);
  }
}
