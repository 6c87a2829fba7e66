import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { link, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CliError, ExitCode } from '../errors/exit-codes';
import type { Progress } from '../output/progress-bar';

export interface DownloadResult {
  path: string;
  bytes: number;
  sha256: string;
}

export interface VerifiedDownloadOptions {
  /** The response to save (status 200, body unread). */
  response: Response;
  /** Where the file ends up. */
  target: string;
  /** SHA-256 the content must have, from the version's metadata; the response's X-Checksum-Sha256 must agree. */
  expectedSha256?: string;
  /** Size the content must have, from the version's metadata. */
  expectedSize?: number;
  progress: (total?: number) => Progress;
  signal?: AbortSignal;
  /** Replace a file already at the target. Without it an existing file is never touched (refused, exit code 2). */
  overwrite?: boolean;
}

export function targetExistsError(target: string): CliError {
  return new CliError(`${target} already exists; nothing was saved (use --force to overwrite it)`, ExitCode.Usage);
}

/** The temporary file beside the target: same directory, so the final rename is atomic. */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.part`);
}

/** Files being written right now, removed if the process is interrupted (Ctrl-C). */
const partial = new Set<string>();

export function removePartialFilesSync(unlinkSync: (p: string) => void): void {
  for (const p of partial) {
    try {
      unlinkSync(p);
    } catch {
      /* already gone */
    }
  }
  partial.clear();
}

/** Passes a download's bytes through, hashing (SHA-256) and counting them on the way. */
class DownloadMeter extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;

  constructor(private readonly onBytes?: (n: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.onBytes?.(chunk.length);
    done(null, chunk);
  }

  /** The hex SHA-256 of every byte that went through; call once, after the stream ended. */
  sha256(): string {
    return this.hash.digest('hex');
  }
}

/** The SHA-256 the bytes must have: the version's record, which the server's header must agree with. */
async function checksumToExpect(response: Response, expectedSha256?: string): Promise<string> {
  const header = response.headers.get('x-checksum-sha256')?.trim().toLowerCase() || undefined;
  const expected = expectedSha256?.toLowerCase();
  if (header && expected && header !== expected) {
    await response.body?.cancel().catch(() => undefined);
    throw new CliError(`The server's checksum header (${header}) disagrees with the version's recorded SHA-256 (${expected}); nothing was saved.`, ExitCode.Checksum);
  }
  const want = expected ?? header;
  if (!want) {
    await response.body?.cancel().catch(() => undefined);
    throw new CliError('The server sent no X-Checksum-Sha256, so the download cannot be verified; nothing was saved.', ExitCode.Checksum);
  }
  return want;
}

/**
 * Streams a download to `out` (stdout, for `-o -`) while hashing it. The bytes cannot be held
 * back until they are checked, so a mismatch is reported after them: exit code 6 tells a
 * pipeline not to trust what it received.
 */
export async function streamVerified(response: Response, out: NodeJS.WritableStream, expectedSha256?: string, expectedSize?: number): Promise<DownloadResult> {
  const want = await checksumToExpect(response, expectedSha256);
  if (!response.body) throw new CliError('The download had no body.');
  const meter = new DownloadMeter();
  try {
    await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), meter, out, { end: false });
  } catch (err) {
    throw new CliError(`The download broke off after ${meter.bytes} bytes (${(err as Error).message}); what was written is incomplete.`, ExitCode.Unreachable);
  }
  const { bytes } = meter;
  const actual = meter.sha256();
  if ((expectedSize !== undefined && bytes !== expectedSize) || actual !== want) {
    throw new CliError(`Checksum mismatch: expected SHA-256 ${want}, received ${actual} (${bytes} bytes); do not trust what was written.`, ExitCode.Checksum);
  }
  return { path: '-', bytes, sha256: actual };
}

/**
 * Streams a download to a temporary file beside the target while hashing it, then checks the
 * SHA-256 (and size) against what the server recorded. Only a match is renamed into place; on a
 * mismatch, a broken connection or any error the temporary file is deleted, so the target
 * never holds partial or corrupt bytes (and an existing file there is left untouched).
 */
export async function saveVerified(opts: VerifiedDownloadOptions): Promise<DownloadResult> {
  const { response, target } = opts;
  const want = await checksumToExpect(response, opts.expectedSha256);
  const lengthHeader = response.headers.get('content-length');
  const total = lengthHeader !== null && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : opts.expectedSize;
  if (!response.body) throw new CliError('The download had no body.');

  const tmp = tempPathFor(target);
  const progress = opts.progress(total);
  const meter = new DownloadMeter((n) => progress.advance(n));
  partial.add(tmp);
  try {
    try {
      await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), meter, createWriteStream(tmp, { flags: 'wx' }), {
        signal: opts.signal,
      });
    } catch (err) {
      if (err instanceof CliError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'ENOENT' || code === 'ENOSPC' || code === 'EROFS' || code === 'EISDIR') {
        throw new CliError(`Cannot write ${target}: ${(err as Error).message}`);
      }
      throw new CliError(`The download broke off after ${meter.bytes} bytes (${(err as Error).message}); nothing was saved.`, ExitCode.Unreachable);
    }
    const { bytes } = meter;
    const actual = meter.sha256();
    const size = opts.expectedSize ?? (lengthHeader !== null ? Number(lengthHeader) : undefined);
    if (size !== undefined && bytes !== size) {
      throw new CliError(`The download has ${bytes} bytes where ${size} were expected; nothing was saved.`, ExitCode.Checksum);
    }
    if (actual !== want) {
      throw new CliError(`Checksum mismatch: expected SHA-256 ${want}, received ${actual}; nothing was saved.`, ExitCode.Checksum);
    }
    if (opts.overwrite) {
      await rename(tmp, target);
    } else {
      // link() fails when the target exists, even one created while the download ran.
      await link(tmp, target).catch((err: NodeJS.ErrnoException) => {
        throw err.code === 'EEXIST' ? targetExistsError(target) : err;
      });
      await unlink(tmp);
    }
    partial.delete(tmp);
    progress.finish();
    return { path: target, bytes, sha256: actual };
  } catch (err) {
    progress.abort();
    await unlink(tmp).catch(() => undefined);
    partial.delete(tmp);
    throw err;
  }
}
