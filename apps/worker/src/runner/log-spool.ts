import { type ExecutionLogV1, type LogStreamName, MAX_LOG_CHUNK_BYTES } from '@attune/contracts';
import type { Logger } from '@attune/service-kit';
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';

/** What a LogSpool needs to send a live chunk: a confirmed publish. */
export type PublishChunk = (chunk: ExecutionLogV1) => Promise<void>;

export interface LogSpoolOptions {
  executionId: number;
  attempt: number;
  stream: LogStreamName;
  /** The spool file (created, 0600). It belongs to the worker, never to the action. */
  path: string;
  /** Bytes kept at most; beyond it the log ends with a truncation marker. */
  maxBytes: number;
  /** How often the file is looked at for new output (live chunks, the size cap). */
  flushMs: number;
  /** Live chunks carry at most this many bytes a second; the log on disk is not limited. */
  liveBytesPerSecond: number;
  chunkBytes?: number;
  logger: Logger;
}

export interface LogSummary {
  totalBytes: number;
  /** Measured while the log is stored (one read of the file), or by digest() when it cannot be. */
  sha256?: string;
  truncated: boolean;
  /** Bytes the process wrote past the cap, not kept. */
  droppedBytes: number;
  /** Bytes the live chunks carried before the process ended. */
  liveBytes: number;
}

/**
 * One stream (stdout or stderr) of a running execution. The process writes straight into the
 * spool file (its stdout or stderr *is* the file descriptor `fd`), so it prints at disk speed
 * with no copy through the worker. The worker meanwhile:
 * - reads new output back from the file as ordered, bounded live chunks on the bus, for live
 *   tails and so that a lost worker leaves what it had sent. The live path is rate-limited and
 *   lags behind a fast producer instead of slowing it; it stops when the process ends (the
 *   stored log supersedes it);
 * - keeps the file within the size cap: past `maxBytes` it cuts the file back at every look,
 *   so the disk holds at most the cap plus one interval's output, and the log ends with a
 *   truncation marker.
 * Once the process has ended, end() answers the totals; the worker then stores the file through
 * the api, hashing it as it sends it, before it reports the result (terminal means complete).
 */
export class LogSpool {
  readonly fd: number;
  private readonly chunkBytes: number;
  private liveSent = 0;
  private seq = 0;
  /** The furthest the process wrote (beyond the cap too). */
  private highest = 0;
  private stopped = false;
  /** Set by end(): the final size and the truncation, with the marker written. */
  private finished?: { totalBytes: number; truncated: boolean };
  private wake?: () => void;
  private readonly followers = new Set<() => void>();
  private readonly live: Promise<void>;

  constructor(
    private readonly publish: PublishChunk,
    private readonly opts: LogSpoolOptions,
  ) {
    this.chunkBytes = Math.min(opts.chunkBytes ?? MAX_LOG_CHUNK_BYTES, MAX_LOG_CHUNK_BYTES);
    this.fd = openSync(opts.path, 'w+', 0o600);
    this.live = this.liveLoop().catch((err: Error) => {
      // The live view is a convenience; the stored log does not depend on it.
      opts.logger.warn({ stream: opts.stream, err: err.message }, 'live log chunks stopped');
    });
  }

  /**
   * The process has ended: stops the live chunks, applies the cap and its marker, and answers the
   * totals with the SHA-256 of what is kept.
   */
  async end(): Promise<LogSummary> {
    this.stopped = true;
    this.wake?.();
    await this.live;
    const size = this.keptSize();
    const dropped = Math.max(0, this.highest - this.opts.maxBytes);
    const truncated = dropped > 0;
    let total = Math.min(size, this.opts.maxBytes);
    if (truncated) {
      ftruncateSync(this.fd, this.opts.maxBytes);
      const marker = Buffer.from(`\n[attune: output truncated: kept the first ${this.opts.maxBytes} bytes, dropped ${dropped} more]\n`);
      writeSync(this.fd, marker, 0, marker.length, this.opts.maxBytes);
      total = this.opts.maxBytes + marker.length;
    }
    this.finished = { totalBytes: total, truncated };
    for (const wakeFollower of [...this.followers]) wakeFollower();
    return { totalBytes: total, sha256: total === 0 ? createHash('sha256').digest('hex') : undefined, truncated, droppedBytes: dropped, liveBytes: this.liveSent };
  }

  /** The SHA-256 of what the file keeps (after end()). Storing the log measures it anyway; this is for when it is not stored. */
  digest(): Promise<string> {
    return this.hash();
  }

  /** Bytes the file keeps now (the process may still be writing). */
  get size(): number {
    return this.finished?.totalBytes ?? this.keptSize();
  }

  /**
   * The log as it is written, for storing it while the process still runs: every byte in order,
   * waiting for more, and ending with the final bytes (the truncation marker too) after end().
   */
  async *follow(): AsyncGenerator<Buffer> {
    let position = 0;
    for (;;) {
      const limit = this.finished?.totalBytes ?? this.keptSize();
      if (position < limit) {
        const buf = Buffer.allocUnsafe(Math.min(1024 * 1024, limit - position));
        const n = readSync(this.fd, buf, 0, buf.length, position);
        if (n <= 0) throw new Error(`the spool file ended at ${position} of ${limit} bytes`);
        position += n;
        yield buf.subarray(0, n);
        continue;
      }
      if (this.finished) return;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.followers.delete(done);
          resolve();
        };
        const timer = setTimeout(done, 20);
        this.followers.add(done);
      });
    }
  }

  /** The totals once end() has run (for a source that followed the file). */
  get final(): { totalBytes: number; truncated: boolean } {
    if (!this.finished) throw new Error('the log is not final before end()');
    return this.finished;
  }

  /** The first `n` bytes (previews, parsed output), read back from the file. */
  head(n: number): Buffer {
    const buf = Buffer.allocUnsafe(Math.max(0, n));
    const read = n > 0 ? readSync(this.fd, buf, 0, n, 0) : 0;
    return buf.subarray(0, read);
  }

  close(): void {
    this.stopped = true;
    this.wake?.();
    try {
      closeSync(this.fd);
    } catch {
      // closed already
    }
  }

  /** The file's size now, cut back to the cap when the process went past it. */
  private keptSize(): number {
    const size = fstatSync(this.fd).size;
    this.highest = Math.max(this.highest, size);
    if (size > this.opts.maxBytes) {
      // The process's own offset runs on; what it writes past the cap lands beyond it again and
      // is cut at the next look. The file never keeps more than the cap plus one interval.
      ftruncateSync(this.fd, this.opts.maxBytes);
      return this.opts.maxBytes;
    }
    return size;
  }

  private hash(): Promise<string> {
    return new Promise((resolve, reject) => {
      const hash = createHash('sha256');
      createReadStream('', { fd: this.fd, start: 0, autoClose: false, highWaterMark: 1024 * 1024 })
        .on('data', (c) => hash.update(c))
        .on('error', reject)
        .on('end', () => resolve(hash.digest('hex')));
    });
  }

  /**
   * Looks at the file every flushMs: keeps the cap, and sends what it holds beyond the last live
   * chunk, in order, one chunk in flight, within the rate limit.
   */
  private async liveLoop(): Promise<void> {
    const budgetPerMs = this.opts.liveBytesPerSecond / 1000;
    let budget = this.chunkBytes;
    let refilledAt = Date.now();
    while (!this.stopped) {
      const available = this.keptSize() - this.liveSent;
      const now = Date.now();
      budget = Math.min(this.chunkBytes, budget + (now - refilledAt) * budgetPerMs);
      refilledAt = now;
      const size = Math.min(this.chunkBytes, available, Math.floor(budget));
      if (size <= 0) {
        await this.sleep(this.opts.flushMs);
        continue;
      }
      budget -= size;
      const buf = Buffer.allocUnsafe(size);
      const bytesRead = readSync(this.fd, buf, 0, size, this.liveSent);
      if (bytesRead <= 0) continue;
      await this.publish({
        execution_id: this.opts.executionId,
        attempt: this.opts.attempt,
        stream: this.opts.stream,
        seq: this.seq,
        offset: this.liveSent,
        data: buf.subarray(0, bytesRead).toString('base64'),
      });
      this.seq++;
      this.liveSent += bytesRead;
    }
  }

  /** Until `ms` passes or the spool stops. */
  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.wake === done) this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}
