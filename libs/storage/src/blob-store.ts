import type { DirectTransfers } from './direct-transfers';

/** What put() records when the caller names no content type. */
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

export interface PutResult {
  key: string;
  size: number;
  /** Lowercase hex SHA-256 of the stored bytes. */
  sha256: string;
}

export interface BlobHead {
  key: string;
  size: number;
  /** Present for blobs written by put() (and copies of them); absent from list() entries. */
  sha256?: string;
  contentType?: string;
}

/** Inclusive byte range, as in an HTTP Range header: `{ start: 0, end: 0 }` is the first byte. */
export interface ByteRange {
  start: number;
  end?: number;
}

export interface PutOptions {
  /** Stored with the blob; defaults to application/octet-stream. */
  contentType?: string;
  /** Reject with BlobTooLargeError (and keep nothing) once the body exceeds this many bytes. */
  maxBytes?: number;
  /** Reject with ChecksumMismatchError (and keep nothing) unless the body hashes to this. */
  expectedSha256?: string;
  /**
   * The body's exact length, when the producer knows it. Reject with SizeMismatchError (and keep
   * nothing) if it differs. On S3 it makes the upload one PutObject of known length instead of a
   * multipart upload, and with expectedSha256 the digest is recorded in the same write.
   */
  size?: number;
  /**
   * Default true: record the digest with the blob (head().sha256). The s3 driver does so by
   * copying the object onto itself after the upload, a second full write on some servers; a
   * staging object whose digest travels with it to copy() can skip that. The fs driver records
   * it either way (a small sidecar).
   */
  recordDigest?: boolean;
}

export interface CopyOptions {
  /**
   * The digest the caller measured. The target records it; when the source recorded one too and
   * it differs, copy() rejects with ChecksumMismatchError and writes nothing.
   */
  sha256?: string;
}

export interface ListOptions {
  /** Only keys that sort after this one. */
  startAfter?: string;
}

export interface BlobStore {
  readonly driver: 'fs' | 's3';
  /** Presigned URLs for transfers that bypass the services; absent where the store has none (fs). */
  readonly direct?: DirectTransfers;
  /**
   * Streams `body` into `key`, hashing SHA-256 on the fly; memory stays flat whatever the size.
   * If opts.maxBytes is exceeded reject with BlobTooLargeError and leave nothing behind. If
   * opts.expectedSha256 is given and differs, reject with ChecksumMismatchError and leave
   * nothing behind. A reader never sees a partially written blob under `key`.
   */
  put(key: string, body: NodeJS.ReadableStream | Buffer, opts?: PutOptions): Promise<PutResult>;
  /** BlobNotFoundError if missing; RangeNotSatisfiableError if range.start >= size. */
  get(key: string, range?: ByteRange): Promise<NodeJS.ReadableStream>;
  head(key: string): Promise<BlobHead | null>;
  exists(key: string): Promise<boolean>;
  /** Idempotent: deleting a missing key succeeds. */
  delete(key: string): Promise<void>;
  /**
   * Server-side copy (used to promote a staging object to its content-addressed key). Keeps the
   * sha256 and content type. BlobNotFoundError if `fromKey` is missing.
   */
  copy(fromKey: string, toKey: string, opts?: CopyOptions): Promise<void>;
  /**
   * Blobs whose key starts with `prefix` (a plain string prefix, as in S3), with key and size
   * only; with `startAfter`, only keys after it (UTF-8 byte order, S3's StartAfter). Order is not
   * promised: S3 and the fs driver list in key order, s3rver does not.
   */
  list(prefix: string, opts?: ListOptions): AsyncIterable<BlobHead>;
  /** Resolves when the backend answers (bucket reachable / directory writable); used by GET /health. */
  check(): Promise<void>;
  /** Releases connections (S3 client sockets). The store is unusable afterwards. */
  close(): Promise<void>;
}
