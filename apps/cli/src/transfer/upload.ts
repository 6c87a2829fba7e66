import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { CliError, ExitCode, usageError } from '../errors/exit-codes';
import type { Progress } from '../output/progress-bar';

/** A regular file to upload, and its size. */
export async function uploadableFile(path: string): Promise<{ path: string; size: number }> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw usageError(code === 'ENOENT' ? `${path}: no such file` : `${path}: ${(err as Error).message}`);
  }
  if (!info.isFile()) throw usageError(`${path} is not a regular file`);
  return { path, size: info.size };
}

/**
 * A file read in chunks as the request body is written, hashed and counted on the way (so the
 * CLI can check the server stored exactly these bytes). Each call of `content()` starts over, as
 * a retry after a token refresh must.
 */
export class HashingFileSource {
  private hash = createHash('sha256');
  private bytes = 0;

  constructor(
    readonly path: string,
    readonly size: number,
    private readonly progress: Progress,
  ) {}

  content = (): AsyncIterable<Uint8Array> => {
    this.hash = createHash('sha256');
    this.bytes = 0;
    return readChunks(this.path, this.size, (chunk) => {
      this.hash.update(chunk);
      this.bytes += chunk.length;
      this.progress.advance(chunk.length);
    });
  };

  /** The SHA-256 of what was sent; checked against the server's record of the upload. */
  verify(serverSha256: string, serverSize: number): string {
    const sent = this.hash.digest('hex');
    if (serverSha256 !== sent || serverSize !== this.bytes) {
      throw new CliError(
        `The server recorded ${serverSize} bytes with SHA-256 ${serverSha256}, but ${this.bytes} bytes with SHA-256 ${sent} were sent.`,
        ExitCode.Checksum,
      );
    }
    return sent;
  }
}

async function* readChunks(path: string, size: number, onChunk: (chunk: Buffer) => void): AsyncGenerator<Uint8Array> {
  let read = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>) {
    read += chunk.length;
    onChunk(chunk);
    yield chunk;
  }
  if (read !== size) throw new CliError(`${path} changed while it was uploaded (${read} bytes read, ${size} expected)`);
}
