import { DomainError } from '@attune/contracts';
import { type Artifact, type ArtifactVersion, BlobRepository } from '@attune/persistence';
import { BLOB_STORE, BlobNotFoundError, type BlobStore, ChecksumMismatchError, HashingCounter, SizeMismatchError } from '@attune/storage';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { pipeline, Readable, Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Counter } from 'prom-client';
import { ApiConfig } from '../config/api.config';
import type { DownloadableBlob } from '../common/http/blob';
import type { ByteRange } from '../common/http/http-range';

/** Downloads go out in chunks of about this size rather than as S3 hands them over (64 KiB or less). */
const DOWNLOAD_CHUNK_BYTES = 512 * 1024;

const checksumFailures = new Counter({
  name: 'attune_artifact_checksum_failures_total',
  help: 'Downloads refused or aborted because the stored bytes do not match their sha256',
});

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

/**
 * Downloads of a version: the blob the HTTP layer's sendBlob streams with Range, ETag (the
 * sha256) and X-Checksum-Sha256. The content is checked against its sha256 on the way: small
 * contents (up to ATTUNE_ARTIFACT_VERIFY_BUFFER_BYTES) before the first byte is sent, so a
 * mismatch is a clean 503; bigger ones while streaming, where a mismatch aborts the response
 * before its last chunk. Either way it is logged and counted (attune_artifact_checksum_failures_total);
 * wrong bytes are never served as a complete response. A ranged read streams just its bytes and
 * is not verified (that would mean reading all of it): blobs the integrity scrub (artifact-store)
 * found corrupt are refused, and a client can check the assembled file against X-Checksum-Sha256.
 */
@Injectable()
export class ArtifactDownloads {
  private readonly logger = new Logger(ArtifactDownloads.name);

  constructor(
    private readonly config: ApiConfig,
    private readonly blobs: BlobRepository,
    @Inject(BLOB_STORE) private readonly store: BlobStore,
  ) {}

  /** The version as a blob to send; its bytes are looked up and opened only when sendBlob asks. */
  blob(artifact: Artifact, version: ArtifactVersion): DownloadableBlob {
    const size = version.sizeBytes;
    const mismatch = (actual: string, key?: string) => {
      checksumFailures.inc();
      this.logger.error({ artifact_id: artifact.id, version: version.version, sha256: version.sha256, actual, key }, 'stored content fails its checksum');
    };
    return {
      size,
      contentType: version.contentType,
      sha256: version.sha256,
      fileName: `${artifact.name ?? artifact.ref}`,
      headers: { 'Cache-Control': 'private, no-cache' },
      open: (range) => this.open(artifact, version, range, mismatch),
      onStreamError: (err) => {
        if (err instanceof ChecksumMismatchError) mismatch(err.actualSha256, err.key);
        else if (err instanceof SizeMismatchError) mismatch(err.actualBytes > size ? `more than ${size} bytes` : `${err.actualBytes} bytes instead of ${size}`, err.key);
        else if ((err as NodeJS.ErrnoException).code?.startsWith('Z_')) mismatch(`undecodable gzip (${err.message})`);
        else this.logger.warn({ artifact_id: artifact.id, version: version.version, err: err.message }, 'download interrupted');
      },
    };
  }

  private async open(
    artifact: Artifact,
    version: ArtifactVersion,
    range: ByteRange | undefined,
    mismatch: (actual: string, key?: string) => void,
  ): Promise<NodeJS.ReadableStream> {
    const size = version.sizeBytes;
    const blob = await this.blobs.blobForDownload(version.sha256);
    if (!blob) {
      this.logger.error({ artifact_id: artifact.id, version: version.version, sha256: version.sha256 }, 'a committed version has no blob row');
      throw new DomainError('INTERNAL_ERROR', 'the stored content of this version is missing');
    }
    const key = blob.key;
    if (blob.corruptSince) {
      // Found corrupt by the integrity scrub: refused whole and in part (a range is not hashed on the way).
      throw corruptContent(artifact.id, version, `failed its integrity check on ${blob.corruptSince.toISOString()}`);
    }
    const whole = () => new HashingCounter(key, { size, expectedSha256: version.sha256, coalesceBytes: DOWNLOAD_CHUNK_BYTES });

    if (blob.encoding === 'gzip') {
      // Stored compressed: the original bytes are decompressed on the way (a range skips to its
      // start), and a whole read is hashed against the version like any other.
      const source = await this.get(key);
      return chain(source, createGunzip(), range ? new ByteWindow(range.start, range.end - range.start + 1) : whole());
    }

    if (!range && size <= this.config.artifactVerifyBufferBytes) {
      // Small and whole: read it all, check it, then answer; a mismatch is an ordinary error response.
      const bytes = size === 0 ? Buffer.alloc(0) : await this.readAll(key, size);
      const actual = createHash('sha256').update(bytes).digest('hex');
      if (bytes.length !== size || actual !== version.sha256) {
        mismatch(bytes.length !== size ? `${bytes.length} bytes instead of ${size}` : actual, key);
        throw corruptContent(artifact.id, version, 'fails its checksum');
      }
      return Readable.from([bytes]);
    }

    // A range is streamed from the store as it is, whatever the size: only its bytes are read
    // (never the whole object into memory). It is not hashed; the scrub is what catches a blob
    // that rotted, after which it is refused above. The whole content is hashed on the way and
    // its last chunk held back until it matches, so a mismatch aborts the response before it is
    // complete. Chunks go out coalesced (fewer writes).
    if (range) return this.get(key, range);
    return chain(await this.get(key), whole());
  }

  private async get(key: string, range?: ByteRange): Promise<NodeJS.ReadableStream> {
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
    const stream = (await this.get(key)) as NodeJS.ReadableStream & AsyncIterable<Buffer>;
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

/** `source` through `stages`: the last stage, which fails (and is destroyed) when any of them fails. */
function chain(source: NodeJS.ReadableStream, ...stages: NodeJS.ReadWriteStream[]): NodeJS.ReadableStream {
  pipeline([source, ...stages] as unknown as [NodeJS.ReadableStream, NodeJS.WritableStream], () => undefined);
  return stages[stages.length - 1];
}

/** Passes `length` bytes starting at offset `start` of what flows through, then ends. */
class ByteWindow extends Transform {
  private offset = 0;

  constructor(
    private readonly start: number,
    private readonly length: number,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const from = Math.max(0, this.start - this.offset);
    const to = Math.min(chunk.length, this.start + this.length - this.offset);
    const ended = this.offset >= this.start + this.length;
    this.offset += chunk.length;
    if (ended) return callback();
    if (to > from) this.push(chunk.subarray(from, to));
    if (this.offset >= this.start + this.length) this.push(null);
    callback();
  }
}
