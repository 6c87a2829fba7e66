import { type ExecutionLogV1, type LogStreamName, MAX_LOG_CHUNK_BYTES } from '@attune/contracts';
import type { Logger } from '@attune/service-kit';
import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { open } from 'node:fs/promises';

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
  /** Output is gathered this long at most before a live chunk goes out (a live tail sees slow output promptly). */
  flushMs: number;
  /** Live chunks carry at most this many bytes a second; the log on disk is not limited. */
  liveBytesPerSecond: number;
  chunkBytes?: number;
  logger: Logger;
}

export interface LogSummary {
  totalBytes: number;
  sha256: string;
  truncated: boolean;
  /** Bytes the process wrote past the cap, not kept. */
  droppedBytes: number;
  /** Bytes the live chunks carried before the process ended. */
  liveBytes: number;
}

/** Bytes buffered towards the file before the producer is asked to wait. */
const WRITE_HIGH_WATER = 1024 * 1024;

/**
 * One stream (stdout or stderr) of a running execution, kept in two ways:
 * - whole, in a spool file written at disk speed and hashed as it goes; the worker stores it
 *   through the api once the process has ended, before it reports the result (terminal means
 *   complete);
 * - live, as ordered, bounded chunks on the bus read back from the spool, for live tails and so
 *   that a lost worker leaves what it had sent. The live path is rate-limited and lags behind a
 *   fast producer instead of slowing it; it stops when the process ends (the stored log
 *   supersedes it).
 * Memory stays flat: at most WRITE_HIGH_WATER bytes wait for the disk, and `write` answers false
 * when the producer should pause (the caller pauses the child's pipe).
 */
export class LogSpool {
  private readonly hash = createHash('sha256');
  private readonly chunkBytes: number;
  /** Opened on the first output: most streams of most runs stay empty and cost no file. */
  private file?: WriteStream;
  private fileError: Promise<never> = new Promise<never>(() => undefined);
  private kept = 0;
  private dropped = 0;
  /** Bytes the file holds (their writes completed), from 0. */
  private onDisk = 0;
  private liveSent = 0;
  private seq = 0;
  private stopped = false;
  private wake?: () => void;
  private live: Promise<void> = Promise.resolve();

  constructor(
    private readonly publish: PublishChunk,
    private readonly opts: LogSpoolOptions,
  ) {
    this.chunkBytes = Math.min(opts.chunkBytes ?? MAX_LOG_CHUNK_BYTES, MAX_LOG_CHUNK_BYTES);
  }

  private openFile(): WriteStream {
    const file = createWriteStream(this.opts.path, { mode: 0o600, highWaterMark: WRITE_HIGH_WATER });
    this.file = file;
    this.fileError = new Promise<never>((_, reject) => file.once('error', reject));
    this.fileError.catch(() => undefined);
    this.live = this.liveLoop().catch((err: Error) => {
      // The live view is a convenience; the stored log does not depend on it.
      this.opts.logger.warn({ stream: this.opts.stream, err: err.message }, 'live log chunks stopped');
    });
    return file;
  }

  /** Bytes kept so far. */
  get bytes(): number {
    return this.kept;
  }

  write(data: Buffer): boolean {
    let rest = data;
    if (this.kept + rest.length > this.opts.maxBytes) {
      const room = Math.max(0, this.opts.maxBytes - this.kept);
      this.dropped += rest.length - room;
      rest = rest.subarray(0, room);
    }
    if (rest.length) this.append(rest);
    return (this.file?.writableLength ?? 0) < WRITE_HIGH_WATER;
  }

  /** Resolves when the producer may write again. */
  waitForDrain(): Promise<void> {
    const file = this.file;
    if (!file || file.writableLength < WRITE_HIGH_WATER) return Promise.resolve();
    return Promise.race([new Promise<void>((r) => file.once('drain', r)), this.fileError]);
  }

  /**
   * The process has ended: stops the live chunks, adds the truncation marker if any, and
   * answers the totals once every byte is in the file.
   */
  async end(): Promise<LogSummary> {
    this.stopped = true;
    this.wake?.();
    const truncated = this.dropped > 0;
    if (truncated) {
      this.append(Buffer.from(`\n[attune: output truncated: kept the first ${this.opts.maxBytes} bytes, dropped ${this.dropped} more]\n`));
    }
    const file = this.file;
    if (file) await Promise.race([new Promise<void>((resolve) => file.end(resolve)), this.fileError]);
    await this.live;
    return { totalBytes: this.kept, sha256: this.hash.digest('hex'), truncated, droppedBytes: this.dropped, liveBytes: this.liveSent };
  }

  /** Closes the file without waiting for anything (the run failed before its output mattered). */
  abort(): void {
    this.stopped = true;
    this.wake?.();
    this.file?.destroy();
  }

  private append(bytes: Buffer): void {
    this.kept += bytes.length;
    this.hash.update(bytes);
    (this.file ?? this.openFile()).write(bytes, (err) => {
      if (err) return;
      this.onDisk += bytes.length;
      this.wake?.();
    });
  }

  /**
   * Sends what the file holds beyond the last live chunk, in order, one chunk in flight, within
   * the rate limit. A short wait after new output gathers small writes into one chunk.
   */
  private async liveLoop(): Promise<void> {
    const budgetPerMs = this.opts.liveBytesPerSecond / 1000;
    let budget = this.chunkBytes;
    let refilledAt = Date.now();
    let reader: Awaited<ReturnType<typeof open>> | undefined;
    try {
      while (!this.stopped) {
        if (this.onDisk === this.liveSent) {
          await this.sleep();
          continue;
        }
        if (this.onDisk - this.liveSent < this.chunkBytes) await this.sleep(this.opts.flushMs);
        if (this.stopped) break;
        const size = Math.min(this.chunkBytes, this.onDisk - this.liveSent);
        const now = Date.now();
        budget = Math.min(this.chunkBytes, budget + (now - refilledAt) * budgetPerMs);
        refilledAt = now;
        if (budget < size) {
          await this.sleep(Math.ceil((size - budget) / budgetPerMs));
          continue;
        }
        budget -= size;
        reader ??= await open(this.opts.path, 'r');
        const buf = Buffer.allocUnsafe(size);
        const { bytesRead } = await reader.read(buf, 0, size, this.liveSent);
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
    } finally {
      await reader?.close();
    }
  }

  /** Until new output is on disk, the spool stops, or `ms` passes (when given). */
  private sleep(ms?: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(timer);
        if (this.wake === done || this.wake === onlyStop) this.wake = undefined;
        resolve();
      };
      // With a timer, only a stop ends the wait early: new output just joins the chunk.
      const onlyStop = () => {
        if (this.stopped) done();
      };
      if (ms !== undefined) timer = setTimeout(done, ms);
      this.wake = ms === undefined ? done : onlyStop;
    });
  }
}
