import { createHash, type Hash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { BlobTooLargeError, ChecksumMismatchError, SizeMismatchError } from './blob-store.errors';

export interface HashingOptions {
  /** Reject with BlobTooLargeError once the body exceeds this many bytes. */
  maxBytes?: number;
  /** The body must be exactly this long: SizeMismatchError otherwise (before an extra byte passes). */
  size?: number;
  /**
   * The body must hash to this (lowercase hex). The latest chunk is held back until the whole
   * body has hashed, so a consumer that needs every byte (an HTTP request of known length)
   * never completes with wrong bytes: the stream fails with ChecksumMismatchError instead.
   */
  expectedSha256?: string;
  /**
   * Pass the bytes on in chunks of at least this many (the last one may be shorter) rather than
   * as they came: a socket hands over 64 KiB or less per read, and writing each piece on costs a
   * system call and a trip through the stream machinery of the next hop.
   */
  coalesceBytes?: number;
}

/**
 * Pass-through that hashes and counts the bytes on their way to the backend, so the digest is
 * known the moment the last byte is written, without a second read. Fails the stream as soon
 * as `maxBytes` (or a declared `size`) is exceeded, before the offending chunk reaches the
 * backend, and at the end when the size or the digest is not the one announced.
 */
export class HashingCounter extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private count = 0;
  private held?: Buffer;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private digestHex?: string;

  constructor(
    private readonly key: string,
    private readonly opts: HashingOptions = {},
  ) {
    super();
  }

  get bytes(): number {
    return this.count;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.count += chunk.length;
    const { maxBytes, size, coalesceBytes } = this.opts;
    if (maxBytes !== undefined && this.count > maxBytes) {
      callback(new BlobTooLargeError(this.key, maxBytes));
      return;
    }
    if (size !== undefined && this.count > size) {
      callback(new SizeMismatchError(this.key, size, this.count));
      return;
    }
    this.hash.update(chunk);
    if (coalesceBytes === undefined) {
      this.pass(chunk, callback);
      return;
    }
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes < coalesceBytes) {
      callback();
      return;
    }
    this.pass(this.takePending() as Buffer, callback);
  }

  override _flush(callback: TransformCallback): void {
    const { size, expectedSha256 } = this.opts;
    if (size !== undefined && this.count !== size) {
      callback(new SizeMismatchError(this.key, size, this.count));
      return;
    }
    if (expectedSha256 !== undefined) {
      const actual = this.digest();
      if (actual !== expectedSha256) {
        callback(new ChecksumMismatchError(this.key, expectedSha256, actual));
        return;
      }
    }
    if (this.held) this.push(this.held);
    callback(null, this.takePending());
  }

  /** With an expected digest, the latest chunk waits here until the whole body has hashed. */
  private pass(chunk: Buffer, callback: TransformCallback): void {
    if (this.opts.expectedSha256 === undefined) {
      callback(null, chunk);
      return;
    }
    const previous = this.held;
    this.held = chunk;
    callback(null, previous);
  }

  private takePending(): Buffer | undefined {
    if (this.pending.length === 0) return undefined;
    const out = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    return out;
  }

  /** Only valid once the stream has ended. */
  digest(): string {
    this.digestHex ??= this.hash.digest('hex');
    return this.digestHex;
  }
}

export function toReadable(body: NodeJS.ReadableStream | Buffer): NodeJS.ReadableStream {
  // An array, so the Buffer is emitted as one chunk instead of being iterated byte by byte.
  return Buffer.isBuffer(body) ? Readable.from([body]) : body;
}

/**
 * Returns the window of `source` that starts after `skip` bytes and holds at most `length`
 * bytes, and stops reading `source` as soon as the window is complete. Used when an
 * S3-compatible server answers a Range request with more than was asked for (s3rver ignores
 * the end of `bytes=0-0`; a server may also ignore Range altogether).
 */
export function byteWindow(source: Readable, skip: number, length: number): Readable {
  let toSkip = skip;
  let remaining = length;
  let complete = false;
  const finish = (self: Transform): void => {
    complete = true;
    self.push(null);
    source.unpipe(self);
    source.destroy();
  };
  const window = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (complete) return callback();
      let data = chunk;
      if (toSkip > 0) {
        const dropped = Math.min(toSkip, data.length);
        toSkip -= dropped;
        data = data.subarray(dropped);
      }
      if (data.length > 0) {
        const kept = data.subarray(0, remaining);
        remaining -= kept.length;
        this.push(kept);
      }
      if (remaining === 0) finish(this);
      callback();
    },
  });
  source.on('error', (err) => {
    if (!complete) window.destroy(err);
  });
  // The consumer gave up early: stop the download too.
  window.on('close', () => source.destroy());
  if (length === 0) finish(window);
  else source.pipe(window);
  return window;
}
