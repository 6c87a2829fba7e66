/**
 * Failures a blob store names. Each carries a stable `code` so callers (the artifact-store
 * service, the HTTP exception filter) can translate them without matching on messages. They are
 * deliberately not DomainErrors: what a missing blob means (404 to a user, or a broken invariant
 * in artifact-store) is the caller's decision.
 */
export abstract class BlobStoreError extends Error {
  abstract readonly code: string;
  constructor(
    message: string,
    readonly key?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class BlobNotFoundError extends BlobStoreError {
  readonly code = 'BLOB_NOT_FOUND';
  constructor(key: string) {
    super(`blob not found: ${key}`, key);
  }
}

export class BlobTooLargeError extends BlobStoreError {
  readonly code = 'BLOB_TOO_LARGE';
  constructor(
    key: string,
    readonly maxBytes: number,
  ) {
    super(`blob ${key} exceeds the limit of ${maxBytes} bytes`, key);
  }
}

/** The body did not hold the number of bytes announced for it. */
export class SizeMismatchError extends BlobStoreError {
  readonly code = 'SIZE_MISMATCH';
  constructor(
    key: string,
    readonly expectedBytes: number,
    /** What arrived; for a body that overran, the count when it was stopped. */
    readonly actualBytes: number,
  ) {
    super(`blob ${key}: expected ${expectedBytes} bytes, got ${actualBytes > expectedBytes ? 'more' : actualBytes}`, key);
  }
}

export class ChecksumMismatchError extends BlobStoreError {
  readonly code = 'CHECKSUM_MISMATCH';
  constructor(
    key: string,
    readonly expectedSha256: string,
    readonly actualSha256: string,
  ) {
    super(`sha256 mismatch for ${key}: expected ${expectedSha256}, got ${actualSha256}`, key);
  }
}

export class RangeNotSatisfiableError extends BlobStoreError {
  readonly code = 'RANGE_NOT_SATISFIABLE';
  constructor(
    key: string,
    readonly range: { start: number; end?: number },
    readonly size?: number,
  ) {
    super(
      `range ${range.start}-${range.end ?? ''} is not satisfiable for ${key}${size === undefined ? '' : ` (size ${size})`}`,
      key,
    );
  }
}

export class InvalidBlobKeyError extends BlobStoreError {
  readonly code = 'INVALID_BLOB_KEY';
  constructor(key: string, reason: string) {
    super(`invalid blob key ${JSON.stringify(key)}: ${reason}`, key);
  }
}
