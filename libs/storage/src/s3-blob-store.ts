import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCopyCommand,
  type GetObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { pipeline, type Readable } from 'node:stream';
import { assertValidBlobKey, assertValidBlobPrefix, assertValidRange, normalizeSha256 } from './blob-key';
import { DEFAULT_CONTENT_TYPE, type BlobHead, type BlobStore, type ByteRange, type CopyOptions, type ListOptions, type PutOptions, type PutResult } from './blob-store';
import { BlobNotFoundError, ChecksumMismatchError, RangeNotSatisfiableError } from './blob-store.errors';
import { byteWindow, HashingCounter, toReadable } from './blob-streams';
import { S3DirectTransfers } from './s3-presign';

export interface S3BlobStoreOptions {
  /** Omit for AWS itself; set for MinIO, s3rver or another S3-compatible service. */
  endpoint?: string;
  region: string;
  bucket: string;
  /** Omit both to use the SDK's default credential chain. */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Defaults to true when `endpoint` is set (MinIO and s3rver need path-style URLs). */
  forcePathStyle?: boolean;
  /** Multipart part size, at least 5 MiB. Default 8 MiB. */
  partSizeBytes?: number;
  /** Parts uploaded in parallel. Default 2. Peak memory per upload is about (queueSize + 1) × partSizeBytes. */
  queueSize?: number;
  /** Lifetime of presigned URLs (direct transfers), in seconds. Default 300. */
  presignTtlSeconds?: number;
  /** The endpoint clients reach for presigned URLs, when it is not `endpoint`. */
  publicEndpoint?: string;
}

/** The user-metadata entry (x-amz-meta-sha256) that carries our own digest. */
const SHA256_METADATA = 'sha256';
const MIN_PART_SIZE = 5 * 1024 * 1024;
const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
const DEFAULT_QUEUE_SIZE = 2;
const DEFAULT_PRESIGN_TTL_SECONDS = 300;
/** How often, and how far apart, an aborted PutObject's key is checked for a late-stored object. */
const ABORTED_PUT_CHECKS = 5;
const ABORTED_PUT_CHECK_MS = 100;

/** S3 refuses a single PutObject above 5 GiB; bigger bodies of known size go multipart too. */
const MAX_SINGLE_PUT_BYTES = 5 * 1024 * 1024 * 1024;
/** S3 refuses CopyObject above 5 GiB; bigger objects are copied part by part. */
export const MAX_SINGLE_COPY_BYTES = 5 * 1024 * 1024 * 1024;
const COPY_PART_SIZE = 512 * 1024 * 1024;
const MAX_PARTS = 10_000;

interface S3ErrorLike {
  name?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

function errorName(err: unknown): string | undefined {
  const e = err as S3ErrorLike | undefined;
  return e?.name ?? e?.Code;
}

function isMissingKey(err: unknown): boolean {
  const name = errorName(err);
  if (name === 'NoSuchKey' || name === 'NotFound') return true;
  return name !== 'NoSuchBucket' && (err as S3ErrorLike | undefined)?.$metadata?.httpStatusCode === 404;
}

function isMissingBucket(err: unknown): boolean {
  const name = errorName(err);
  return name === 'NoSuchBucket' || name === 'NotFound' || (err as S3ErrorLike | undefined)?.$metadata?.httpStatusCode === 404;
}

/** CopySource is "<bucket>/<url-encoded key>", with the slashes left as they are. */
function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/** Inclusive byte ranges for UploadPartCopy, never more than S3's 10,000 parts. */
export function planCopyParts(size: number, partSize = COPY_PART_SIZE): { partNumber: number; start: number; end: number }[] {
  const effective = Math.max(partSize, Math.ceil(size / MAX_PARTS));
  const parts = [];
  for (let start = 0, partNumber = 1; start < size; start += effective, partNumber++) {
    parts.push({ partNumber, start, end: Math.min(start + effective, size) - 1 });
  }
  return parts;
}

/**
 * Blob store on an S3-compatible bucket (MinIO in docker compose, any S3 service in production).
 *
 * put() streams through a hashing pass-through: into one PutObject when the size is known, else
 * into a lib-storage multipart Upload (bounded partSize × queueSize, so memory stays flat). The
 * digest is recorded as x-amz-meta-sha256: in the PutObject itself when it was announced (and
 * verified before the last byte goes out), else by copying the object onto itself with
 * MetadataDirective REPLACE, since S3 fixes metadata when an upload starts and the digest is only
 * known at its end. If the process dies between the two steps, the object exists without a
 * sha256, which head() reports as unknown, never as a wrong value.
 */
export class S3BlobStore implements BlobStore {
  readonly driver = 's3' as const;
  /** Presigned URLs: uploads and downloads straight between a client and the bucket. */
  readonly direct: S3DirectTransfers;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly partSize: number;
  private readonly queueSize: number;

  constructor(opts: S3BlobStoreOptions) {
    if (!opts?.bucket) throw new Error('S3BlobStore: bucket is required');
    if (!opts.region) throw new Error('S3BlobStore: region is required');
    this.bucket = opts.bucket;
    this.partSize = opts.partSizeBytes ?? DEFAULT_PART_SIZE;
    this.queueSize = opts.queueSize ?? DEFAULT_QUEUE_SIZE;
    if (!Number.isSafeInteger(this.partSize) || this.partSize < MIN_PART_SIZE) {
      throw new Error(`S3BlobStore: partSizeBytes must be an integer of at least ${MIN_PART_SIZE} (5 MiB)`);
    }
    if (!Number.isSafeInteger(this.queueSize) || this.queueSize < 1) throw new Error('S3BlobStore: queueSize must be at least 1');
    if (Boolean(opts.accessKeyId) !== Boolean(opts.secretAccessKey)) {
      throw new Error('S3BlobStore: give both accessKeyId and secretAccessKey, or neither');
    }
    this.client = new S3Client({
      endpoint: opts.endpoint,
      region: opts.region,
      forcePathStyle: opts.forcePathStyle ?? opts.endpoint !== undefined,
      // The SDK's default (WHEN_SUPPORTED) sends stream bodies as aws-chunked with a CRC32
      // trailer; s3rver stores that framing verbatim, silently corrupting the blob
      // (toolchain pitfall 12). Our own sha256 is the integrity check.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      credentials:
        opts.accessKeyId && opts.secretAccessKey
          ? { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey }
          : undefined,
    });
    this.direct = new S3DirectTransfers({
      client: this.client,
      bucket: this.bucket,
      region: opts.region,
      forcePathStyle: opts.forcePathStyle ?? opts.endpoint !== undefined,
      endpoint: opts.endpoint,
      publicEndpoint: opts.publicEndpoint,
      ttlSeconds: opts.presignTtlSeconds ?? DEFAULT_PRESIGN_TTL_SECONDS,
    });
  }

  async put(key: string, body: NodeJS.ReadableStream | Buffer, opts: PutOptions = {}): Promise<PutResult> {
    assertValidBlobKey(key);
    const expected = opts.expectedSha256 === undefined ? undefined : normalizeSha256(opts.expectedSha256);
    const contentType = opts.contentType ?? DEFAULT_CONTENT_TYPE;
    const single = opts.size !== undefined && opts.size <= MAX_SINGLE_PUT_BYTES;
    // The body goes on in the pieces it arrives in: coalescing them into bigger writes made
    // s3rver spend more CPU per byte, not less (docs/benchmarks.md).
    const hasher = new HashingCounter(key, { maxBytes: opts.maxBytes, size: opts.size, expectedSha256: expected });
    let streamError: Error | undefined;
    const abort = new AbortController();
    hasher.once('error', (err) => {
      streamError ??= err;
      abort.abort(err);
    });
    pipeline(toReadable(body), hasher, (err) => {
      if (err) streamError ??= err;
    });

    // With a known size: one PutObject. The request can only complete once every byte has
    // passed the hasher (which holds the last chunk back until the digest matches, when one is
    // expected), so a short, long or wrong body leaves no object; and an expected digest is
    // recorded in the same write. Otherwise a lib-storage multipart upload: an object appears
    // only when it completes, and a failure aborts it (leavePartsOnError: false).
    const recorded = single && expected !== undefined;
    try {
      if (single) {
        await this.client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: key,
            Body: hasher,
            ContentLength: opts.size,
            ContentType: contentType,
            ...(recorded ? { Metadata: { [SHA256_METADATA]: expected } } : {}),
          }),
          { abortSignal: abort.signal },
        );
      } else {
        await new Upload({
          client: this.client,
          params: { Bucket: this.bucket, Key: key, Body: hasher, ContentType: contentType },
          partSize: this.partSize,
          queueSize: this.queueSize,
          leavePartsOnError: false,
        }).done();
      }
    } catch (err) {
      // A body that broke or grew too large is the real reason, whatever aborting the upload
      // said afterwards (s3rver, for one, answers AbortMultipartUpload with 405).
      const cause = streamError ?? err;
      hasher.destroy();
      if (single) await this.removeAbortedPut(key);
      throw cause;
    }
    if (streamError) throw streamError;

    const size = hasher.bytes;
    const sha256 = hasher.digest();
    try {
      if (expected !== undefined && expected !== sha256) throw new ChecksumMismatchError(key, expected, sha256);
      if (opts.recordDigest !== false && !recorded) await this.serverSideCopy(key, key, size, { sha256, contentType });
    } catch (err) {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })).catch(() => undefined);
      throw err;
    }
    return { key, size, sha256 };
  }

  /**
   * Deletes what an aborted PutObject may have left. Some S3-compatible servers (s3rver among
   * them) still store the part of a body they received after the client hung up, and may do so
   * after a first delete has already answered: keep looking for a short while (this is the
   * failure path only) and delete whatever appears.
   */
  private async removeAbortedPut(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })).catch(() => undefined);
    for (let check = 0; check < ABORTED_PUT_CHECKS; check++) {
      await new Promise((resolve) => setTimeout(resolve, ABORTED_PUT_CHECK_MS));
      if (await this.exists(key).catch(() => false)) {
        await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })).catch(() => undefined);
      }
    }
  }

  async get(key: string, range?: ByteRange): Promise<NodeJS.ReadableStream> {
    assertValidBlobKey(key);
    if (range) assertValidRange(key, range);
    let out: GetObjectCommandOutput;
    try {
      out = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Range: range ? `bytes=${range.start}-${range.end ?? ''}` : undefined,
        }),
      );
    } catch (err) {
      if (isMissingKey(err)) throw new BlobNotFoundError(key);
      if (errorName(err) === 'InvalidRange' || (err as S3ErrorLike)?.$metadata?.httpStatusCode === 416) {
        throw new RangeNotSatisfiableError(key, range ?? { start: 0 });
      }
      throw err;
    }
    const body = out.Body as Readable;
    return range ? this.windowOf(key, range, out, body) : body;
  }

  async head(key: string): Promise<BlobHead | null> {
    assertValidBlobKey(key);
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      const sha256 = out.Metadata?.[SHA256_METADATA]?.toLowerCase();
      return {
        key,
        size: out.ContentLength ?? 0,
        ...(sha256 ? { sha256 } : {}),
        ...(out.ContentType ? { contentType: out.ContentType } : {}),
      };
    } catch (err) {
      if (isMissingKey(err)) return null;
      throw err;
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.head(key)) !== null;
  }

  async delete(key: string): Promise<void> {
    assertValidBlobKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (err) {
      if (!isMissingKey(err)) throw err;
    }
  }

  async copy(fromKey: string, toKey: string, opts: CopyOptions = {}): Promise<void> {
    assertValidBlobKey(toKey);
    const given = opts.sha256 === undefined ? undefined : normalizeSha256(opts.sha256);
    const source = await this.head(fromKey);
    if (!source) throw new BlobNotFoundError(fromKey);
    if (given !== undefined && source.sha256 !== undefined && source.sha256 !== given) {
      throw new ChecksumMismatchError(fromKey, given, source.sha256);
    }
    if (fromKey === toKey && given === undefined) return;
    const sha256 = given ?? source.sha256;
    await this.serverSideCopy(
      fromKey,
      toKey,
      source.size,
      given !== undefined && sha256 ? { sha256, contentType: source.contentType ?? DEFAULT_CONTENT_TYPE } : undefined,
    );
  }

  async *list(prefix: string, opts: ListOptions = {}): AsyncIterable<BlobHead> {
    assertValidBlobPrefix(prefix);
    let token: string | undefined;
    do {
      const out = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix || undefined,
          ContinuationToken: token,
          StartAfter: token ? undefined : opts.startAfter,
        }),
      );
      for (const item of out.Contents ?? []) {
        if (item.Key !== undefined) yield { key: item.Key, size: item.Size ?? 0 };
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
  }

  async check(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
  }

  /** Creates the bucket unless it exists (docker compose and tests; production buckets are provisioned). */
  async ensureBucket(): Promise<void> {
    try {
      await this.check();
      return;
    } catch (err) {
      if (!isMissingBucket(err)) throw err;
    }
    try {
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
    } catch (err) {
      if (errorName(err) !== 'BucketAlreadyOwnedByYou') throw err;
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  /**
   * Copies `fromKey` to `toKey` inside the bucket. With `metadata`, the target gets exactly that
   * sha256 and content type (MetadataDirective REPLACE, also what allows copying onto itself);
   * without, the source's metadata is kept.
   */
  private async serverSideCopy(
    fromKey: string,
    toKey: string,
    size: number,
    metadata?: { sha256: string; contentType: string },
  ): Promise<void> {
    if (size <= MAX_SINGLE_COPY_BYTES) {
      await this.client.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: toKey,
          CopySource: copySource(this.bucket, fromKey),
          ...(metadata
            ? { MetadataDirective: 'REPLACE', Metadata: { [SHA256_METADATA]: metadata.sha256 }, ContentType: metadata.contentType }
            : { MetadataDirective: 'COPY' }),
        }),
      );
      return;
    }
    // A multipart copy takes its metadata from CreateMultipartUpload, never from the source.
    let target = metadata;
    if (!target) {
      const head = await this.head(fromKey);
      if (!head) throw new BlobNotFoundError(fromKey);
      target = { sha256: head.sha256 ?? '', contentType: head.contentType ?? DEFAULT_CONTENT_TYPE };
    }
    const { UploadId } = await this.client.send(
      new CreateMultipartUploadCommand({
        Bucket: this.bucket,
        Key: toKey,
        ContentType: target.contentType,
        Metadata: target.sha256 ? { [SHA256_METADATA]: target.sha256 } : undefined,
      }),
    );
    try {
      const parts = [];
      for (const part of planCopyParts(size)) {
        const out = await this.client.send(
          new UploadPartCopyCommand({
            Bucket: this.bucket,
            Key: toKey,
            UploadId,
            PartNumber: part.partNumber,
            CopySource: copySource(this.bucket, fromKey),
            CopySourceRange: `bytes=${part.start}-${part.end}`,
          }),
        );
        parts.push({ PartNumber: part.partNumber, ETag: out.CopyPartResult?.ETag });
      }
      await this.client.send(
        new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: toKey, UploadId, MultipartUpload: { Parts: parts } }),
      );
    } catch (err) {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: toKey, UploadId })).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Trims a ranged response to exactly the requested window. S3 honours Range precisely, but
   * S3-compatible servers vary: s3rver ignores the end of `bytes=0-0` and answers an empty
   * object's range with a 206 that promises one byte.
   */
  private windowOf(key: string, range: ByteRange, out: GetObjectCommandOutput, body: Readable): Readable {
    const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(out.ContentRange ?? '');
    if (match) {
      const [first, last] = [Number(match[1]), Number(match[2])];
      const total = match[3] === '*' ? undefined : Number(match[3]);
      if (total !== undefined && range.start >= total) {
        body.destroy();
        throw new RangeNotSatisfiableError(key, range, total);
      }
      if (first !== range.start) {
        body.destroy();
        throw new Error(`S3 answered range ${range.start}- of ${key} with ${out.ContentRange}`);
      }
      const wantedLast = range.end === undefined ? last : Math.min(range.end, last);
      return wantedLast < last ? byteWindow(body, 0, wantedLast - first + 1) : body;
    }
    // No Content-Range: the server ignored Range and sent the whole object.
    const total = out.ContentLength ?? 0;
    if (range.start >= total) {
      body.destroy();
      throw new RangeNotSatisfiableError(key, range, total);
    }
    const last = range.end === undefined ? total - 1 : Math.min(range.end, total - 1);
    return byteWindow(body, range.start, last - range.start + 1);
  }
}
