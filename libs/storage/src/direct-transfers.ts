/**
 * Transfers that go between a client and the bucket without passing through a service: a
 * presigned PUT for an upload and a presigned GET for a download. Only stores that can hand out
 * such URLs have them (the S3 driver); the fs driver has none, and callers use the proxied path.
 */

/** A presigned PUT: the client sends exactly `headers` (all signed) with the body. */
export interface DirectUploadTicket {
  url: string;
  method: 'PUT';
  /** Header names in lower case. `x-amz-checksum-sha256` is the body's digest (base64), which S3 and MinIO check. */
  headers: Record<string, string>;
  expiresAt: Date;
}

export interface DirectDownloadTicket {
  url: string;
  expiresAt: Date;
}

/** What the store itself knows of an object: its size, and the SHA-256 it computed when the bytes arrived. */
export interface VerifiedHead {
  size: number;
  /**
   * Lowercase hex SHA-256 the store measured and checked against the upload's
   * x-amz-checksum-sha256 (S3, MinIO). Undefined where the store keeps no such checksum (s3rver):
   * then the bytes must be hashed by the caller.
   */
  sha256?: string;
}

export interface DirectTransfers {
  /** Default lifetime of a presigned URL, in seconds (ATTUNE_S3_PRESIGN_TTL_SECONDS). */
  readonly ttlSeconds: number;
  /** Largest body one presigned PUT may carry (S3's single PutObject limit, 5 GiB). */
  readonly maxPutBytes: number;
  /** A PUT of exactly `size` bytes hashing to `sha256` (hex) into `key`, valid for `ttlSeconds` (at most the default). */
  presignPut(key: string, content: { size: number; sha256: string; contentType: string }, ttlSeconds?: number): Promise<DirectUploadTicket>;
  /** A GET of `key`, answered with this Content-Disposition and Content-Type when given. */
  presignGet(key: string, response?: { contentDisposition?: string; contentType?: string }, ttlSeconds?: number): Promise<DirectDownloadTicket>;
  /** null when there is no object at `key`. */
  verifiedHead(key: string): Promise<VerifiedHead | null>;
}

/** Lowercase hex → base64, as S3 writes checksums (x-amz-checksum-sha256). */
export function sha256HexToBase64(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64');
}

/** Base64 → lowercase hex; undefined for anything that is not one whole SHA-256 (a multipart "composite" checksum, say). */
export function sha256Base64ToHex(b64: string | undefined): string | undefined {
  if (!b64 || !/^[A-Za-z0-9+/]{43}=$/.test(b64)) return undefined;
  return Buffer.from(b64, 'base64').toString('hex');
}
