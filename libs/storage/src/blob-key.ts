import { InvalidBlobKeyError, RangeNotSatisfiableError } from './blob-store.errors';

/** S3's limit for a whole key, in UTF-8 bytes. */
export const MAX_BLOB_KEY_BYTES = 1024;
/** Most filesystems' limit for one path component; applied to both drivers so keys stay portable. */
export const MAX_BLOB_KEY_SEGMENT_BYTES = 255;

// Control characters (NUL included) and backslash, which Windows treats as a separator.
const FORBIDDEN_CHARS = /[\u0000-\u001f\u007f\\]/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

function checkSegments(key: string, segments: string[]): void {
  for (const segment of segments) {
    if (segment === '') throw new InvalidBlobKeyError(key, 'empty path segment');
    if (segment === '.' || segment === '..') throw new InvalidBlobKeyError(key, `"${segment}" segment`);
    if (Buffer.byteLength(segment) > MAX_BLOB_KEY_SEGMENT_BYTES) {
      throw new InvalidBlobKeyError(key, `a segment is longer than ${MAX_BLOB_KEY_SEGMENT_BYTES} bytes`);
    }
  }
}

function checkCommon(key: unknown): asserts key is string {
  if (typeof key !== 'string') throw new InvalidBlobKeyError(String(key), 'not a string');
  if (FORBIDDEN_CHARS.test(key)) throw new InvalidBlobKeyError(key, 'contains a control character or backslash');
  if (key.startsWith('/')) throw new InvalidBlobKeyError(key, 'leading "/"');
  if (Buffer.byteLength(key) > MAX_BLOB_KEY_BYTES) {
    throw new InvalidBlobKeyError(key, `longer than ${MAX_BLOB_KEY_BYTES} bytes`);
  }
}

/**
 * Throws InvalidBlobKeyError unless `key` is a relative, '/'-separated path without empty, '.'
 * or '..' segments, control characters or backslashes. These rules are what lets the fs driver
 * map a key straight onto a path under its root without any way out of it.
 */
export function assertValidBlobKey(key: string): void {
  checkCommon(key);
  if (key === '') throw new InvalidBlobKeyError(key, 'empty');
  checkSegments(key, key.split('/'));
}

/**
 * A list() prefix follows the key rules, except that it may be empty, may end with '/', and its
 * last (partial) segment is only a filter, so it may be anything a key segment may start with.
 */
export function assertValidBlobPrefix(prefix: string): void {
  checkCommon(prefix);
  const segments = prefix.split('/');
  segments.pop();
  checkSegments(prefix, segments);
}

/** Where identical bytes are stored once: `blobs/sha256/ab/cd/abcd…`. */
export function contentAddressedKey(sha256: string): string {
  const hash = typeof sha256 === 'string' ? sha256.toLowerCase() : '';
  if (!SHA256_HEX.test(hash)) throw new InvalidBlobKeyError(String(sha256), 'not a SHA-256 hex digest');
  return `blobs/sha256/${hash.slice(0, 2)}/${hash.slice(2, 4)}/${hash}`;
}

/** Normalises an expected digest for comparison; malformed ones are rejected up front. */
export function normalizeSha256(sha256: string): string {
  const hash = sha256.toLowerCase();
  if (!SHA256_HEX.test(hash)) throw new TypeError(`expectedSha256 is not a SHA-256 hex digest: ${JSON.stringify(sha256)}`);
  return hash;
}

/** A range must start at a non-negative integer and not end before it starts. */
export function assertValidRange(key: string, range: { start: number; end?: number }): void {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || start < 0 || (end !== undefined && (!Number.isSafeInteger(end) || end < start))) {
    throw new RangeNotSatisfiableError(key, range);
  }
}
