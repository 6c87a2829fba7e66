import { type ExecutionLogV1, type LogStreamName, MAX_LOG_CHUNK_BYTES } from '@attune/contracts';
import type { Logger } from '@attune/service-kit';
import { createHash } from 'node:crypto';

/** What a LogStream needs to send a chunk: a confirmed publish. */
export type PublishChunk = (chunk: ExecutionLogV1) => Promise<void>;

export interface LogStreamOptions {
  executionId: number;
  attempt: number;
  stream: LogStreamName;
  /** Bytes kept at most; beyond it the log ends with a truncation marker. */
  maxBytes: number;
  /** A partial chunk is sent after this long, so a live tail sees slow output promptly. */
  flushMs: number;
  chunkBytes?: number;
  /** Unconfirmed chunks at most before writers are asked to wait. */
  maxInFlight?: number;
  logger: Logger;
}

export interface LogStreamSummary {
  totalBytes: number;
  sha256: string;
  truncated: boolean;
  /** Bytes the process wrote past the cap, not kept. */
  droppedBytes: number;
}

/**
 * One stream (stdout or stderr) of a running execution, sent as ordered, bounded chunks over
 * the bus (nothing at all for a stream that stays empty). Memory stays flat: at most one partial chunk is buffered and at most `maxInFlight`
 * chunks await their confirm; `write` answers false when the producer should pause (the caller
 * pauses the child's pipe, so a process printing faster than the bus takes blocks on its write).
 * A chunk whose publish fails is retried until confirmed: output is never silently lost.
 */
export class LogStream {
  private readonly hash = createHash('sha256');
  private readonly chunkBytes: number;
  private readonly maxInFlight: number;
  private buffer: Buffer[] = [];
  private buffered = 0;
  private seq = 0;
  private offset = 0;
  private kept = 0;
  private dropped = 0;
  private inFlight = new Set<Promise<void>>();
  private drainWaiters: Array<() => void> = [];
  private timer?: NodeJS.Timeout;
  private failure?: Error;

  constructor(
    private readonly publish: PublishChunk,
    private readonly opts: LogStreamOptions,
  ) {
    this.chunkBytes = Math.min(opts.chunkBytes ?? MAX_LOG_CHUNK_BYTES, MAX_LOG_CHUNK_BYTES);
    this.maxInFlight = opts.maxInFlight ?? 8;
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
    if (rest.length) {
      this.kept += rest.length;
      this.buffer.push(rest);
      this.buffered += rest.length;
      while (this.buffered >= this.chunkBytes) this.send(this.take(this.chunkBytes));
      if (this.buffered > 0 && !this.timer) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          if (this.buffered > 0) this.send(this.take(this.buffered));
        }, this.opts.flushMs);
      }
    }
    return this.inFlight.size < this.maxInFlight;
  }

  /** Resolves when the producer may write again. */
  waitForDrain(): Promise<void> {
    if (this.inFlight.size < this.maxInFlight) return Promise.resolve();
    return new Promise((r) => this.drainWaiters.push(r));
  }

  /** Sends what is left, the truncation marker if any, and the final chunk with the totals. */
  async end(): Promise<LogStreamSummary> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const truncated = this.dropped > 0;
    if (truncated) {
      const marker = Buffer.from(`\n[attune: output truncated: kept the first ${this.opts.maxBytes} bytes, dropped ${this.dropped} more]\n`);
      this.buffer.push(marker);
      this.buffered += marker.length;
      this.kept += marker.length;
    }
    while (this.buffered > this.chunkBytes) this.send(this.take(this.chunkBytes));
    const last = this.take(this.buffered);
    const totalBytes = this.offset + last.length;
    if (totalBytes === 0) {
      // Nothing printed: no message at all. The result then has no `<stream>_log`, which tells
      // readers the stream is empty and complete.
      return { totalBytes: 0, sha256: this.hash.digest('hex'), truncated: false, droppedBytes: 0 };
    }
    this.hash.update(last);
    const sha256 = this.hash.digest('hex');
    await Promise.all(this.inFlight);
    await this.deliver({
      execution_id: this.opts.executionId,
      attempt: this.opts.attempt,
      stream: this.opts.stream,
      seq: this.seq,
      offset: this.offset,
      data: last.toString('base64'),
      eof: true,
      total_bytes: totalBytes,
      sha256,
      truncated,
    });
    if (this.failure) throw this.failure;
    return { totalBytes, sha256, truncated, droppedBytes: this.dropped };
  }

  private take(n: number): Buffer {
    const all = this.buffer.length === 1 ? this.buffer[0] : Buffer.concat(this.buffer);
    const head = all.subarray(0, n);
    const tail = all.subarray(n);
    this.buffer = tail.length ? [tail] : [];
    this.buffered = tail.length;
    return head;
  }

  private send(bytes: Buffer): void {
    this.hash.update(bytes);
    const chunk: ExecutionLogV1 = {
      execution_id: this.opts.executionId,
      attempt: this.opts.attempt,
      stream: this.opts.stream,
      seq: this.seq++,
      offset: this.offset,
      data: bytes.toString('base64'),
    };
    this.offset += bytes.length;
    const p: Promise<void> = this.deliver(chunk).finally(() => {
      this.inFlight.delete(p);
      if (this.inFlight.size < this.maxInFlight) for (const w of this.drainWaiters.splice(0)) w();
    });
    this.inFlight.add(p);
  }

  private async deliver(chunk: ExecutionLogV1): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.publish(chunk);
        return;
      } catch (err) {
        if (attempt >= 60) {
          this.failure = err as Error;
          this.opts.logger.error({ seq: chunk.seq, stream: chunk.stream, err: (err as Error).message }, 'log chunk could not be sent; giving up');
          return;
        }
        const delay = Math.min(10_000, 200 * 2 ** Math.min(attempt, 6));
        this.opts.logger.warn({ seq: chunk.seq, stream: chunk.stream, err: (err as Error).message, retry_in_ms: delay }, 'log chunk not confirmed; retrying');
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }
}
