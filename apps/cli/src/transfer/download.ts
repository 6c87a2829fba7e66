import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { link, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
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

/**
 * Streams a download to a temporary file beside the target while hashing it, then checks the
 * SHA-256 (and size) against what the server recorded. Only a match is renamed into place; on a
 * mismatch, a broken connection or any error the temporary file is deleted, so the target
 * never holds partial or corrupt bytes (and an existing file there is left untouched).
 */
export async function saveVerified(opts: VerifiedDownloadOptions): Promise<DownloadResult> {
  const { response, target } = opts;
  const header = response.headers.get('x-checksum-sha256')?.trim().toLowerCase() || undefined;
  const expected = opts.expectedSha256?.toLowerCase();
  if (header && expected && header !== expected) {
    await response.body?.cancel().catch(() => undefined);
    throw new CliError(`The server's checksum header (${header}) disagrees with the version's recorded SHA-256 (${expected}); nothing was saved.`, ExitCode.Checksum);
  }
  const want = expected ?? header;
  if (!want) {
    await response.body?.cancel().catch(() => undefined);
    throw new CliError('The server sent no X-Checksum-Sha256, so the download cannot be verified; nothing was saved.', ExitCode.Checksum);
  }
  const lengthHeader = response.headers.get('content-length');
  const total = lengthHeader !== null && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : opts.expectedSize;
  if (!response.body) throw new CliError('The download had no body.');

  const tmp = tempPathFor(target);
  const hash = createHash('sha256');
  let bytes = 0;
  const progress = opts.progress(total);
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      progress.advance(chunk.length);
      done(null, chunk);
    },
  });
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
      throw new CliError(`The download broke off after ${bytes} bytes (${(err as Error).message}); nothing was saved.`, ExitCode.Unreachable);
    }
    const actual = hash.digest('hex');
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
