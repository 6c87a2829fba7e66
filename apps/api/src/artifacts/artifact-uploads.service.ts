import { type ArtifactVersionRecordV1, DomainError } from '@attune/contracts';
import { BLOB_STORE, BlobTooLargeError, type BlobStore, ChecksumMismatchError, type PutResult, SizeMismatchError } from '@attune/storage';
import { Inject, Injectable, Logger } from '@nestjs/common';
import busboy from 'busboy';
import type { Request, Response } from 'express';
import type { Readable } from 'node:stream';
import type { Principal } from '../auth/auth.decorators';
import { ApiConfig } from '../config/api.config';
import { CONTENT_TYPE_PATTERN } from './artifact.dto';
import { ArtifactsService } from './artifacts.service';

/** The form fields an upload reads; anything else is ignored. */
const UPLOAD_FIELDS = new Set(['content_type', 'execution', 'size', 'sha256']);

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

/** Multipart framing around the file: what a Content-Length may exceed the limit by. */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;
const GENERIC_TYPE = 'application/octet-stream';

interface Parsed {
  put?: PutResult;
  fileSeen: boolean;
  fileType?: string;
  fields: Record<string, string>;
}

/**
 * `POST /api/v1/artifacts/{id}/versions/upload`: the multipart body is parsed as it arrives
 * (busboy), and the `file` part is piped straight into a staging object while the blob store
 * hashes it, so memory stays flat whatever the size (multer, which Nest would use, buffers in
 * memory by default). Then artifact-store commits it.
 */
@Injectable()
export class ArtifactUploads {
  private readonly logger = new Logger(ArtifactUploads.name);

  constructor(
    private readonly artifacts: ArtifactsService,
    private readonly config: ApiConfig,
    @Inject(BLOB_STORE) private readonly store: BlobStore,
  ) {}

  async upload(principal: Principal, id: number, req: Request, res: Response): Promise<ArtifactVersionRecordV1> {
    // Refusing before the body is read: close the connection afterwards rather than drain a large body.
    const refuse = (err: DomainError): never => {
      res.setHeader('Connection', 'close');
      throw err;
    };
    const artifact = await this.artifacts.writableForVersions(principal, id).catch((err: DomainError) => refuse(err));
    const type = req.headers['content-type'] ?? '';
    if (!/^multipart\/form-data\s*;/i.test(type)) {
      refuse(new DomainError('BAD_REQUEST', 'the upload must be multipart/form-data with the content in the field "file"'));
    }
    const max = this.config.artifactMaxUploadBytes;
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > max + MULTIPART_OVERHEAD_BYTES) {
      refuse(new DomainError('PAYLOAD_TOO_LARGE', `the upload exceeds the limit of ${max} bytes`));
    }
    const key = this.artifacts.newUploadKey();
    let parsed: Parsed;
    try {
      parsed = await this.parse(req, key, max);
    } catch (err) {
      res.setHeader('Connection', 'close');
      await this.store.delete(key).catch(() => undefined);
      if (err instanceof BlobTooLargeError) throw new DomainError('PAYLOAD_TOO_LARGE', `the upload exceeds the limit of ${max} bytes`);
      if (err instanceof SizeMismatchError) {
        throw new DomainError('VALIDATION_ERROR', `the file does not hold the ${err.expectedBytes} bytes the size field announced`, [
          { field: 'size', message: err.actualBytes > err.expectedBytes ? 'the file is longer' : `the file holds ${err.actualBytes} bytes` },
        ]);
      }
      if (err instanceof ChecksumMismatchError) {
        throw new DomainError('VALIDATION_ERROR', `the file hashes to ${err.actualSha256}, not the sha256 field's ${err.expectedSha256}`, [
          { field: 'sha256', message: 'does not match the file' },
        ]);
      }
      if (err instanceof DomainError) throw err;
      this.logger.warn({ artifact_id: id, err: (err as Error).message }, 'upload failed while receiving the body');
      throw new DomainError('BAD_REQUEST', `the upload could not be read: ${(err as Error).message}`);
    }
    if (!parsed.put) throw new DomainError('BAD_REQUEST', 'multipart field "file" is required');
    const put = parsed.put;
    let contentType: string;
    let execution: number | null;
    try {
      contentType = this.contentTypeOf(parsed, artifact.contentType);
      execution = this.artifacts.versionExecution(principal, artifact, this.executionField(parsed.fields.execution));
    } catch (err) {
      await this.store.delete(key).catch(() => undefined);
      throw err;
    }
    // From here on the commit decides what becomes of the upload (see ArtifactsService.commit).
    return this.artifacts.commit(principal, artifact, { key, size: put.size, sha256: put.sha256, contentType, execution });
  }

  /**
   * Streams the body through busboy. The first `file` part goes to the upload key; other file
   * parts are drained; `content_type` and `execution` fields are kept (before or after the file).
   * `size` and `sha256`, when they come before the file, are checked against it: with `size` the
   * bytes go to storage in one write of known length (on S3 a PutObject instead of a multipart
   * upload), with `sha256` too the digest is recorded in that write and a file that does not
   * match leaves nothing behind. Resolves once the body is parsed and the upload is stored.
   */
  private parse(req: Request, key: string, maxBytes: number): Promise<Parsed> {
    const parsed: Parsed = { fileSeen: false, fields: {} };
    return new Promise<Parsed>((resolve, reject) => {
      let bb: busboy.Busboy;
      try {
        bb = busboy({ headers: req.headers, limits: { fields: 10, fieldSize: 1024, parts: 20, fieldNameSize: 100 } });
      } catch (err) {
        reject(new DomainError('BAD_REQUEST', `not a multipart body: ${(err as Error).message}`));
        return;
      }
      let settled = false;
      let parsing = true;
      let pending: Promise<PutResult> | undefined;
      const fail = (err: unknown) => {
        if (settled) return;
        settled = true;
        req.unpipe(bb);
        bb.removeAllListeners('file');
        bb.on('error', () => undefined);
        reject(err);
      };
      const finish = () => {
        if (settled || parsing) return;
        if (!pending) {
          settled = true;
          resolve(parsed);
          return;
        }
        pending.then(
          (put) => {
            if (settled) return;
            settled = true;
            parsed.put = put;
            resolve(parsed);
          },
          fail,
        );
      };
      bb.on('field', (name, value) => {
        if (UPLOAD_FIELDS.has(name)) parsed.fields[name] = value;
      });
      bb.on('file', (name, stream: Readable, info) => {
        if (name !== 'file' || parsed.fileSeen) {
          stream.resume();
          return;
        }
        parsed.fileSeen = true;
        parsed.fileType = info.mimeType;
        let announced: { size?: number; expectedSha256?: string };
        try {
          announced = announcedContent(parsed.fields, maxBytes);
        } catch (err) {
          stream.resume();
          fail(err);
          return;
        }
        // Without an announced digest, the one measured here goes to artifact-store with the
        // commit; recording it on the object too would cost a second full write on S3.
        pending = this.store.put(key, stream, { maxBytes, contentType: GENERIC_TYPE, recordDigest: false, ...announced });
        // A failing put (too large, storage down) ends the request at once, not when the body ends.
        pending.catch(fail);
      });
      bb.on('error', (err: Error) => fail(err));
      bb.on('close', () => {
        parsing = false;
        finish();
      });
      req.on('aborted', () => fail(new Error('the client closed the connection during the upload')));
      req.pipe(bb);
    });
  }

  private contentTypeOf(parsed: Parsed, artifactType: string | null): string {
    const field = parsed.fields.content_type?.trim();
    if (field) {
      if (field.length > 255 || !CONTENT_TYPE_PATTERN.test(field)) {
        throw new DomainError('VALIDATION_ERROR', 'content_type is not a media type', [{ field: 'content_type', message: 'must be a media type' }]);
      }
      return field;
    }
    const part = parsed.fileType;
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
