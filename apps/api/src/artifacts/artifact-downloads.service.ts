import { DomainError } from '@attune/contracts';
import { type Artifact, ArtifactRepository, type ArtifactVersion } from '@attune/persistence';
import { BLOB_STORE, BlobNotFoundError, type BlobStore, ChecksumMismatchError, HashingCounter, SizeMismatchError } from '@attune/storage';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream';
import { Counter } from 'prom-client';
import { ApiConfig } from '../config/api.config';
import { parseRange } from '../common/http-range';

/** Downloads go out in chunks of about this size rather than as S3 hands them over (64 KiB or less). */
const DOWNLOAD_CHUNK_BYTES = 512 * 1024;

const checksumFailures = new Counter({
  name: 'attune_artifact_checksum_failures_total',
  help: 'Downloads refused or aborted because the stored bytes do not match their sha256',
});

/** The stored bytes of a version are not what was committed. */
export class CorruptContentError extends Error {
  constructor(
    readonly artifactId: number,
    readonly version: number,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`artifact ${artifactId} version ${version}: stored content hashes to ${actual}, expected ${expected}`);
    this.name = 'CorruptContentError';
  }
}

/**
 * The stored bytes of a version are known to be wrong: 503 SERVICE_UNAVAILABLE (the content is
 * unavailable until it is restored; nothing is wrong with the request) with `details.reason`
 * CORRUPT_CONTENT. Uploading the same content again to any artifact restores it.
 */
function corruptContent(artifactId: number, version: ArtifactVersion, what: string): DomainError {
  return new DomainError(
    'SERVICE_UNAVAILABLE',
    `the stored content of artifact ${artifactId} version ${version.version} ${what}; it is not served until the same content is uploaded again`,
    { reason: 'CORRUPT_CONTENT', sha256: version.sha256 },
  );
}

function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/**
 * Downloads of a version: streamed from the blob store with Range, ETag (the sha256) and
 * X-Checksum-Sha256. The content is checked against its sha256 on the way: small contents
 * (up to ATTUNE_ARTIFACT_VERIFY_BUFFER_BYTES) before the first byte is sent, so a mismatch is a
 * clean 500; bigger ones while streaming, where a mismatch aborts the response before its last
 * chunk. Either way it is logged and counted (attune_artifact_checksum_failures_total); wrong
 * bytes are never served as a complete response. A ranged read streams just its bytes and is not
 * verified (that would mean reading all of it): blobs the integrity scrub (artifact-store) found
 * corrupt are refused, and a client can check the assembled file against X-Checksum-Sha256.
 */
@Injectable()
export class ArtifactDownloads {
  private readonly logger = new Logger(ArtifactDownloads.name);

  constructor(
    private readonly config: ApiConfig,
    private readonly artifacts: ArtifactRepository,
    @Inject(BLOB_STORE) private readonly store: BlobStore,
  ) {}

  async send(req: Request, res: Response, artifact: Artifact, version: ArtifactVersion): Promise<void> {
    const size = version.sizeBytes;
    const etag = `"${version.sha256}"`;
    const fileName = artifact.name ?? artifact.ref;
    res.setHeader('ETag', etag);
    res.setHeader('X-Checksum-Sha256', version.sha256);
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('Content-Disposition', contentDisposition(`${fileName}`));
    res.setHeader('Cache-Control', 'private, no-cache');
    const ifNoneMatch = req.headers['if-none-match'];
    if (ifNoneMatch && ifNoneMatch.split(',').some((t) => t.trim() === etag || t.trim() === `W/${etag}`)) {
      res.status(304).end();
      return;
    }
    const ifRange = req.headers['if-range'];
    const range = ifRange && ifRange !== etag ? ({ kind: 'none' } as const) : parseRange(req.headers.range, size);
    if (range.kind === 'unsatisfiable') {
      res.setHeader('Content-Range', `bytes */${size}`);
      res.status(416).json({ error: `range ${req.headers.range} is not satisfiable for ${size} bytes`, code: 'RANGE_NOT_SATISFIABLE' });
      return;
    }
    const blob = await this.artifacts.blobForDownload(version.sha256);
    if (!blob) {
      this.logger.error({ artifact_id: artifact.id, version: version.version, sha256: version.sha256 }, 'a committed version has no blob row');
      throw new DomainError('INTERNAL_ERROR', 'the stored content of this version is missing');
    }
    const key = blob.key;
    if (blob.corruptSince) {
      // Found corrupt by the integrity scrub: refused whole and in part (a range is not hashed on the way).
      throw corruptContent(artifact.id, version, `failed its integrity check on ${blob.corruptSince.toISOString()}`);
    }
    const start = range.kind === 'range' ? range.start : 0;
    const end = range.kind === 'range' ? range.end : size - 1;
    const length = size === 0 ? 0 : end - start + 1;
    const mismatch = (actual: string) => {
      checksumFailures.inc();
      const err = new CorruptContentError(artifact.id, version.version, version.sha256, actual);
      this.logger.error({ artifact_id: artifact.id, version: version.version, sha256: version.sha256, actual, key }, 'stored content fails its checksum');
      return err;
    };

    if (range.kind !== 'range' && size <= this.config.artifactVerifyBufferBytes) {
      // Small and whole: read it all, check it, then answer; a mismatch is an ordinary error response.
      const whole = size === 0 ? Buffer.alloc(0) : await this.readAll(key, size);
      const actual = createHash('sha256').update(whole).digest('hex');
      if (whole.length !== size || actual !== version.sha256) {
        mismatch(whole.length !== size ? `${whole.length} bytes instead of ${size}` : actual);
        throw corruptContent(artifact.id, version, 'fails its checksum');
      }
      this.writeHead(res, false, start, end, size, length, version.contentType);
      res.end(whole);
      return;
    }

    // A range is streamed from the store as it is, whatever the size: only its bytes are read
    // (never the whole object into memory). It is not hashed; the scrub is what catches a blob
    // that rotted, after which it is refused above.
    const source = await this.open(key, range.kind === 'range' ? { start, end } : undefined);
    this.writeHead(res, range.kind === 'range', start, end, size, length, version.contentType);
    // The whole content is hashed on the way and its last chunk held back until it matches, so a
    // mismatch aborts the response before it is complete. Chunks go out coalesced (fewer writes).
    const stages: NodeJS.ReadWriteStream[] =
      range.kind === 'range' ? [] : [new HashingCounter(key, { size, expectedSha256: version.sha256, coalesceBytes: DOWNLOAD_CHUNK_BYTES })];
    await new Promise<void>((resolve) => {
      pipeline([source, ...stages, res] as unknown as [NodeJS.ReadableStream, NodeJS.WritableStream], (err) => {
        if (err instanceof ChecksumMismatchError) mismatch(err.actualSha256);
        else if (err instanceof SizeMismatchError) mismatch(err.actualBytes > size ? `more than ${size} bytes` : `${err.actualBytes} bytes instead of ${size}`);
        else if (err && (err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') {
          this.logger.warn({ artifact_id: artifact.id, version: version.version, err: err.message }, 'download interrupted');
        }
        // pipeline() destroyed the response on error: the client sees a truncated body, never a complete wrong one.
        resolve();
      });
    });
  }

  private writeHead(res: Response, partial: boolean, start: number, end: number, size: number, length: number, contentType: string): void {
    res.status(partial ? 206 : 200);
    res.setHeader('Content-Type', contentType);
    res.setHeader('Content-Length', String(length));
    if (partial) res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
  }

  private async open(key: string, range?: { start: number; end: number }): Promise<NodeJS.ReadableStream> {
    try {
      return await this.store.get(key, range);
    } catch (err) {
      if (err instanceof BlobNotFoundError) {
        this.logger.error({ key }, 'a committed version has no stored content');
        throw new DomainError('INTERNAL_ERROR', 'the stored content of this version is missing');
      }
      throw err;
    }
  }

  /** The whole content, but never more than one byte past `expected` (a grown blob is a mismatch, not a memory hazard). */
  private async readAll(key: string, expected: number): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let total = 0;
    const stream = (await this.open(key)) as NodeJS.ReadableStream & AsyncIterable<Buffer>;
    for await (const chunk of stream) {
      chunks.push(chunk);
      total += chunk.length;
      if (total > expected) {
        (stream as unknown as { destroy?: () => void }).destroy?.();
        break;
      }
    }
    return Buffer.concat(chunks);
  }
}
