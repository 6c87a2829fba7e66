import { DomainError, type ExecutionStatus, isTerminal } from '@attune/contracts';
import { ExecutionLogReader, ExecutionRepository, type LogStreamName } from '@attune/persistence';
import { BLOB_STORE, type BlobStore } from '@attune/storage';
import { Inject, Injectable } from '@nestjs/common';
import { PassThrough, type Readable } from 'node:stream';
import type { DownloadableBlob } from '../common/http/blob';
import { found } from '../common/found';

interface Segment {
  key: string;
  /** Offset of the segment's first byte in the log. */
  start: number;
  size: number;
}

export interface LogView {
  /** Bytes readable now, from 0. */
  size: number;
  /** True once the whole log is stored (its log artifact), or the stream never had output. */
  complete: boolean;
  /**
   * True once the log can no longer grow: complete, or the execution ended with only part of
   * its log stored (a lost worker, a log that could not be stored).
   */
  final: boolean;
  /** The execution's status when the view was taken. */
  status: ExecutionStatus;
  sha256?: string;
  segments: Segment[];
}

/**
 * Reads an execution's log wherever it is: while the execution runs, from the live chunks in
 * the bucket (the contiguous prefix received so far); once the worker has stored the whole log,
 * from its log artifact's blob. The worker stores the log before it reports the result, so a
 * terminal execution's log is whole unless its result says `<stream>_log_incomplete`.
 */
@Injectable()
export class LogReader {
  constructor(
    private readonly executions: ExecutionRepository,
    private readonly logs: ExecutionLogReader,
    @Inject(BLOB_STORE) private readonly store: BlobStore,
  ) {}

  async view(executionId: number, stream: LogStreamName): Promise<LogView> {
    // The execution first: the log is stored before the status turns terminal, so a stream row
    // read after a terminal status is in its final state.
    const execution = found(await this.executions.findById(executionId), `execution ${executionId}`);
    const status = execution.status;
    const terminal = isTerminal(status);
    const row = await this.logs.findStream(executionId, stream);
    if (row?.state === 'closed') {
      if (row.artifact === null) return { size: 0, complete: true, final: true, status, segments: [] };
      const log = await this.logs.storedLog(row.artifact);
      if (!log) throw new DomainError('NOT_FOUND', `the ${stream} log of execution ${executionId} was deleted`);
      return { size: log.sizeBytes, complete: true, final: true, status, sha256: log.sha256, segments: [{ key: log.blobKey, start: 0, size: log.sizeBytes }] };
    }
    // Once the execution has ended, its result says whether the stream had any output
    // (`<stream>_log`); without it the log is empty and complete.
    const result = execution.result as Record<string, unknown> | null;
    if (terminal && !(result && result[`${stream}_log`])) return { size: 0, complete: true, final: true, status, segments: [] };
    if (!row) return { size: 0, complete: false, final: terminal, status, segments: [] };
    // Live chunks: the contiguous prefix received so far. Chunk objects outlive the stream's
    // closing by a grace period, so a read that began on them finishes.
    const chunks = await this.logs.chunks(executionId, stream, row.attempt);
    const segments: Segment[] = [];
    let size = 0;
    for (const c of chunks) {
      if (c.offset !== size) break; // a gap: a later chunk arrived first
      segments.push({ key: c.blobKey, start: c.offset, size: c.size });
      size += c.size;
    }
    return { size, complete: false, final: terminal, status, segments };
  }

  /** The log as a blob to send: text, its SHA-256 once it is stored whole, and whether it is. */
  blob(view: LogView): DownloadableBlob {
    return {
      size: view.size,
      contentType: 'text/plain; charset=utf-8',
      ...(view.sha256 ? { sha256: view.sha256 } : {}),
      headers: { 'X-Log-Complete': String(view.complete) },
      open: async (range) => this.read(view, range?.start ?? 0, range?.end ?? view.size - 1),
    };
  }

  /** Bytes [start, end] (inclusive) of the log, streamed segment by segment. */
  read(view: LogView, start: number, end: number): Readable {
    const out = new PassThrough();
    const store = this.store;
    void (async () => {
      try {
        for (const seg of view.segments) {
          const segEnd = seg.start + seg.size - 1;
          if (seg.size === 0 || segEnd < start || seg.start > end) continue;
          const from = Math.max(start, seg.start) - seg.start;
          const to = Math.min(end, segEnd) - seg.start;
          const part = await store.get(seg.key, { start: from, end: to });
          for await (const buf of part as AsyncIterable<Buffer>) {
            if (!out.write(buf)) await new Promise((r) => out.once('drain', r));
          }
        }
        out.end();
      } catch (err) {
        out.destroy(err as Error);
      }
    })();
    return out;
  }

  /** Reads bytes [start, end] fully (for the live tail's small pieces). */
  async readBytes(view: LogView, start: number, end: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const b of this.read(view, start, end) as AsyncIterable<Buffer>) parts.push(b);
    return Buffer.concat(parts);
  }
}

/** Length of the longest prefix of `buf` that does not end inside a UTF-8 sequence. */
export function completeUtf8Length(buf: Buffer): number {
  for (let back = 1; back <= Math.min(3, buf.length); back++) {
    const b = buf[buf.length - back];
    if ((b & 0xc0) === 0x80) continue; // continuation byte: look further back
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? buf.length - back : buf.length;
  }
  return buf.length;
}
