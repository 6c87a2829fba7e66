import { type ArtifactVersionRecordV1, DomainError } from '@attune/contracts';
import { BLOB_STORE, BlobTooLargeError, type BlobStore, ChecksumMismatchError, HashingCounter, type PutResult, SizeMismatchError } from '@attune/storage';
import { Inject, Injectable } from '@nestjs/common';
import { pipeline, type Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { Principal } from '../auth/auth.decorators';
import type { MultipartBody, MultipartSpec, ReceivedUpload } from '../common/http/upload';
import { ApiConfig } from '../config/api.config';
import { CONTENT_TYPE_PATTERN } from './artifact.dto';
import { ArtifactsService } from './artifacts.service';

/** The form fields an upload reads; anything else is ignored. */
const UPLOAD_FIELDS = new Set(['content_type', 'execution', 'size', 'sha256', 'compress']);

/** `size` and `sha256` form fields sent before the file: what the file must be. */
export function announcedContent(fields: Record<string, string>, maxBytes: number): { size?: number; expectedSha256?: string } {
  const out: { size?: number; expectedSha256?: string } = {};
  if (fields.size !== undefined && fields.size !== '') {
    if (!/^(0|[1-9][0-9]{0,15})$/.test(fields.size) || !Number.isSafeInteger(Number(fields.size))) {
      throw new DomainError('VALIDATION_ERROR', 'size is not a byte count', [{ field: 'size', message: 'must be a non-negative integer' }]);
    }
    out.size = Number(fields.size);
    if (out.size > maxBytes) throw new DomainError('PAYLOAD_TOO_LARGE', `the upload exceeds the limit of ${maxBytes} bytes`);
  }
  if (fields.sha256 !== undefined && fields.sha256 !== '') {
    if (!/^[0-9a-fA-F]{64}$/.test(fields.sha256)) {
      throw new DomainError('VALIDATION_ERROR', 'sha256 is not a SHA-256 hex digest', [{ field: 'sha256', message: 'must be 64 hex digits' }]);
    }
    out.expectedSha256 = fields.sha256.toLowerCase();
  }
  return out;
}

const GENERIC_TYPE = 'application/octet-stream';

/** A store's refusal of the file as the answer: 413 past the limit, 422 when it is not what its fields announced. */
function storeRefusal(err: unknown, maxBytes: number): unknown {
  if (err instanceof BlobTooLargeError) return new DomainError('PAYLOAD_TOO_LARGE', `the upload exceeds the limit of ${maxBytes} bytes`);
  if (err instanceof SizeMismatchError) {
    return new DomainError('VALIDATION_ERROR', `the file does not hold the ${err.expectedBytes} bytes the size field announced`, [
      { field: 'size', message: err.actualBytes > err.expectedBytes ? 'the file is longer' : `the file holds ${err.actualBytes} bytes` },
    ]);
  }
  if (err instanceof ChecksumMismatchError) {
    return new DomainError('VALIDATION_ERROR', `the file hashes to ${err.actualSha256}, not the sha256 field's ${err.expectedSha256}`, [
      { field: 'sha256', message: 'does not match the file' },
    ]);
  }
  return err;
}

/** What storing the file part gave: the content's measure, and for compressed content the stored object's size. */
interface Stored {
  put: PutResult;
  stored?: { encoding: 'gzip'; size: number };
}

/**
 * `POST /api/v1/artifacts/{id}/versions/upload`: the HTTP layer's multipart receiver streams the
 * `file` part straight into a staging object while the blob store hashes it, so memory stays
 * flat whatever the size. Then artifact-store commits it.
 */
@Injectable()
export class ArtifactUploads {
  constructor(
    private readonly artifacts: ArtifactsService,
    private readonly config: ApiConfig,
    @Inject(BLOB_STORE) private readonly store: BlobStore,
  ) {}

  async upload(principal: Principal, id: number, body: MultipartBody): Promise<ArtifactVersionRecordV1> {
    // Refused before the body is read when the artifact cannot take a version.
    const artifact = await this.artifacts.writableForVersions(principal, id);
    const max = this.config.artifactMaxUploadBytes;
    const key = this.artifacts.newUploadKey();
    let received: ReceivedUpload<Stored>;
    try {
      received = await body.receive(this.spec(key, max));
    } catch (err) {
      await this.store.delete(key).catch(() => undefined);
      throw err;
    }
    if (!received.file) throw new DomainError('BAD_REQUEST', 'multipart field "file" is required');
    const { put, stored } = received.file.stored;
    let contentType: string;
    let execution: number | null;
    try {
      contentType = this.contentTypeOf(received.fields.content_type, received.file.mimeType, artifact.contentType);
      execution = this.artifacts.versionExecution(principal, artifact, this.executionField(received.fields.execution));
    } catch (err) {
      await this.store.delete(key).catch(() => undefined);
      throw err;
    }
    // From here on the commit decides what becomes of the upload (see ArtifactsService.commit).
    return this.artifacts.commit(principal, artifact, {
      key,
      size: put.size,
      sha256: put.sha256,
      contentType,
      execution,
      ...(stored ? { encoding: stored.encoding, storedSize: stored.size } : {}),
    });
  }

  /**
   * The first `file` part goes to the upload key; other file parts are drained; `content_type`
   * and `execution` fields are kept (before or after the file). `size` and `sha256`, when they
   * come before the file, are checked against it: with `size` the bytes go to storage in one
   * write of known length (on S3 a PutObject instead of a multipart upload), with `sha256` too
   * the digest is recorded in that write and a file that does not match leaves nothing behind.
   */
  private spec(key: string, maxBytes: number): MultipartSpec<Stored> {
    return {
      notMultipart: 'the upload must be multipart/form-data with the content in the field "file"',
      maxBytes,
      tooLarge: `the upload exceeds the limit of ${maxBytes} bytes`,
      limits: { fields: 10, fieldSize: 1024, parts: 20 },
      field: (name) => UPLOAD_FIELDS.has(name),
      file: ({ field, stream, fields }) => {
        if (field !== 'file') return undefined;
        const announced = announcedContent(fields, maxBytes);
        if (fields.compress !== undefined && fields.compress !== 'gzip') {
          throw new DomainError('VALIDATION_ERROR', 'compress must be gzip', [{ field: 'compress', message: 'must be gzip (or absent)' }]);
        }
        // Without an announced digest, the one measured here goes to artifact-store with the
        // commit; recording it on the object too would cost a second full write on S3.
        const storing =
          fields.compress === 'gzip'
            ? this.putCompressed(key, stream, maxBytes, announced)
            : this.store.put(key, stream, { maxBytes, contentType: GENERIC_TYPE, recordDigest: false, ...announced }).then((put) => ({ put }));
        return storing.catch((err: unknown) => {
          throw storeRefusal(err, maxBytes);
        });
      },
    };
  }

  /**
   * Stores the content gzip-compressed (`compress=gzip`, a workflow's artifact_compression): the
   * original bytes are measured and hashed on the way in (and checked against an announced size
   * and sha256), so the version records the original's size and SHA-256 and downloads give back
   * exactly those bytes. Answers the original's measure and the stored size.
   */
  private async putCompressed(key: string, stream: Readable, maxBytes: number, announced: { size?: number; expectedSha256?: string }): Promise<Stored> {
    const original = new HashingCounter(key, { maxBytes, ...announced });
    const gzip = createGzip();
    pipeline(stream, original, gzip, () => undefined);
    const put = await this.store.put(key, gzip, { maxBytes, contentType: 'application/gzip', recordDigest: false });
    return { put: { key, size: original.bytes, sha256: original.digest() }, stored: { encoding: 'gzip', size: put.size } };
  }

  private contentTypeOf(contentTypeField: string | undefined, part: string, artifactType: string | null): string {
    const field = contentTypeField?.trim();
    if (field) {
      if (field.length > 255 || !CONTENT_TYPE_PATTERN.test(field)) {
        throw new DomainError('VALIDATION_ERROR', 'content_type is not a media type', [{ field: 'content_type', message: 'must be a media type' }]);
      }
      return field;
    }
    if (part && part !== GENERIC_TYPE && part.length <= 255 && CONTENT_TYPE_PATTERN.test(part)) return part;
    return artifactType ?? GENERIC_TYPE;
  }

  private executionField(value: string | undefined): number | undefined {
    if (value === undefined || value === '') return undefined;
    if (!/^[1-9][0-9]{0,15}$/.test(value)) {
      throw new DomainError('VALIDATION_ERROR', 'execution is not an id', [{ field: 'execution', message: 'must be a positive integer' }]);
    }
    return Number(value);
  }
}
