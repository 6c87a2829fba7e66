import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';

/** A pass-through stream that hashes (SHA-256) and counts the bytes on their way. */
export interface HashingTap {
  readonly stream: Transform;
  /** Bytes that went through so far. */
  readonly bytes: number;
  /** The SHA-256 of everything that went through (lowercase hex); call once, at the end. */
  sha256(): string;
}

/** A HashingTap for one body: put `stream` in its pipeline, read the digest after it ends. */
export function hashingTap(): HashingTap {
  const hash = createHash('sha256');
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  return {
    stream,
    get bytes() {
      return bytes;
    },
    sha256: () => hash.digest('hex'),
  };
}
