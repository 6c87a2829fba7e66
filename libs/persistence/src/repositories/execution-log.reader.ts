import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { nullableNumber, type Queryable, type Row, rowsOf } from './rows';

export type LogStreamName = 'stdout' | 'stderr';

/**
 * The Postgres channel notified (payload: the execution id) whenever an execution's log moves
 * on: a live chunk stored, or the whole log. The api's live tails listen on it.
 */
export const LOG_NOTIFY_CHANNEL = 'attune_execution_log';

export interface LogStreamRow {
  execution: number;
  stream: LogStreamName;
  attempt: number;
  receivedChunks: number;
  receivedBytes: number;
  expectedChunks: number | null;
  totalBytes: number | null;
  sha256: string | null;
  truncated: boolean;
  /** `finalizing` only on rows left by versions that joined chunks into the log. */
  state: 'open' | 'finalizing' | 'closed';
  artifact: number | null;
  updated: Date;
  /** When the whole log was stored (state `closed`). */
  closed: Date | null;
}

export interface LogChunkRow {
  seq: number;
  offset: number;
  size: number;
  blobKey: string;
}

/** A whole stored log: the newest version of its log artifact, and where its bytes are. */
export interface StoredLog {
  sizeBytes: number;
  sha256: string;
  blobKey: string;
}

function streamFromRow(r: Row): LogStreamRow {
  return {
    execution: Number(r.execution),
    stream: r.stream as LogStreamName,
    attempt: Number(r.attempt),
    receivedChunks: Number(r.received_chunks),
    receivedBytes: Number(r.received_bytes),
    expectedChunks: nullableNumber(r.expected_chunks),
    totalBytes: nullableNumber(r.total_bytes),
    sha256: (r.sha256 as string | null) ?? null,
    truncated: Boolean(r.truncated),
    state: r.state as LogStreamRow['state'],
    artifact: nullableNumber(r.artifact),
    updated: r.updated as Date,
    closed: (r.closed as Date | null | undefined) ?? null,
  };
}

/** The stream's row (with `FOR UPDATE` when `lock` names it), or null. */
export async function selectStream(q: Queryable, execution: number, stream: string, lock = ''): Promise<LogStreamRow | null> {
  const [row] = rowsOf(await q.query(`SELECT * FROM execution_log_streams WHERE execution = $1 AND stream = $2 ${lock}`, [execution, stream]));
  return row ? streamFromRow(row) : null;
}

/**
 * The read model of execution logs for the services that only read them (the api's log
 * downloads and live tails, the executor's lost-worker results). Read-only: these are
 * artifact-store's tables (execution_log_streams, execution_log_chunks, and each log artifact's
 * versions and blobs), which artifact-store alone writes (ExecutionLogRepository); nothing else
 * queries them.
 */
@Injectable()
export class ExecutionLogReader {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  findStream(execution: number, stream: LogStreamName): Promise<LogStreamRow | null> {
    return selectStream(this.ds, execution, stream);
  }

  /** The current attempt's chunks in order, from `fromOffset` on (those that end after it). */
  async chunks(execution: number, stream: LogStreamName, attempt: number, fromOffset = 0): Promise<LogChunkRow[]> {
    const rows = rowsOf(
      await this.ds.query(
        `SELECT seq, byte_offset, size_bytes, blob_key FROM execution_log_chunks
          WHERE execution = $1 AND stream = $2 AND attempt = $3 AND byte_offset + size_bytes > $4
          ORDER BY seq`,
        [execution, stream, attempt, fromOffset],
      ),
    );
    return rows.map((r) => ({ seq: Number(r.seq), offset: Number(r.byte_offset), size: Number(r.size_bytes), blobKey: String(r.blob_key) }));
  }

  /** The whole log stored as `artifact` (a closed stream's), or null when it was deleted since. */
  async storedLog(artifact: number): Promise<StoredLog | null> {
    const [row] = rowsOf(
      await this.ds.query(
        `SELECT v.size_bytes, v.sha256, b.storage_key FROM artifact_versions v JOIN artifact_blobs b ON b.sha256 = v.sha256
          WHERE v.artifact = $1 ORDER BY v.version DESC LIMIT 1`,
        [artifact],
      ),
    );
    return row ? { sizeBytes: Number(row.size_bytes), sha256: row.sha256 as string, blobKey: row.storage_key as string } : null;
  }
}
