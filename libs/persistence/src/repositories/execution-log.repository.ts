import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';

export type LogStreamName = 'stdout' | 'stderr';

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
  state: 'open' | 'finalizing' | 'closed';
  artifact: number | null;
  updated: Date;
}

export interface LogChunkRow {
  seq: number;
  offset: number;
  size: number;
  blobKey: string;
}

export interface NewLogChunk {
  execution: number;
  stream: LogStreamName;
  attempt: number;
  seq: number;
  offset: number;
  size: number;
  blobKey: string;
  /** On the last chunk of a stream. */
  eof?: { totalBytes: number; sha256: string; truncated: boolean };
}

export type ChunkOutcome = 'recorded' | 'duplicate' | 'stale-attempt';

type Row = Record<string, unknown>;

function streamFromRow(r: Row): LogStreamRow {
  return {
    execution: Number(r.execution),
    stream: r.stream as LogStreamName,
    attempt: Number(r.attempt),
    receivedChunks: Number(r.received_chunks),
    receivedBytes: Number(r.received_bytes),
    expectedChunks: r.expected_chunks === null ? null : Number(r.expected_chunks),
    totalBytes: r.total_bytes === null ? null : Number(r.total_bytes),
    sha256: (r.sha256 as string | null) ?? null,
    truncated: Boolean(r.truncated),
    state: r.state as LogStreamRow['state'],
    artifact: r.artifact === null ? null : Number(r.artifact),
    updated: r.updated as Date,
  };
}

/** The execution log tables (execution_log_streams, execution_log_chunks); artifact-store writes them. */
@Injectable()
export class ExecutionLogRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /**
   * Records one chunk, idempotently. Chunks of an older attempt than the stream's are ignored;
   * a newer attempt (a re-dispatch after a lost worker) starts the stream over, and the caller
   * gets the orphaned chunks' objects back to delete.
   */
  async recordChunk(c: NewLogChunk): Promise<{ outcome: ChunkOutcome; orphanedKeys: string[] }> {
    return this.ds.transaction(async (em) => {
      await em.query(
        `INSERT INTO execution_log_streams (execution, stream, attempt) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
        [c.execution, c.stream, c.attempt],
      );
      const [current] = (await em.query(
        `SELECT * FROM execution_log_streams WHERE execution = $1 AND stream = $2 FOR UPDATE`,
        [c.execution, c.stream],
      )) as Row[];
      const stream = streamFromRow(current);
      let orphanedKeys: string[] = [];
      if (c.attempt < stream.attempt) return { outcome: 'stale-attempt' as const, orphanedKeys };
      if (c.attempt > stream.attempt) orphanedKeys = await this.restart(em, c.execution, c.stream, c.attempt);
      const inserted = (await em.query(
        `INSERT INTO execution_log_chunks (execution, stream, attempt, seq, byte_offset, size_bytes, blob_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING seq`,
        [c.execution, c.stream, c.attempt, c.seq, c.offset, c.size, c.blobKey],
      )) as Row[];
      const fresh = inserted.length > 0;
      const sets = ['updated = now()'];
      const params: unknown[] = [c.execution, c.stream];
      if (fresh) sets.push('received_chunks = received_chunks + 1', `received_bytes = received_bytes + ${Number(c.size)}`);
      if (c.eof) {
        params.push(c.seq + 1, c.eof.totalBytes, c.eof.sha256, c.eof.truncated);
        sets.push('expected_chunks = $3', 'total_bytes = $4', 'sha256 = $5', 'truncated = $6');
      }
      await em.query(`UPDATE execution_log_streams SET ${sets.join(', ')} WHERE execution = $1 AND stream = $2`, params);
      return { outcome: fresh ? ('recorded' as const) : ('duplicate' as const), orphanedKeys };
    });
  }

  private async restart(em: EntityManager, execution: number, stream: string, attempt: number): Promise<string[]> {
    const old = (await em.query(
      `DELETE FROM execution_log_chunks WHERE execution = $1 AND stream = $2 RETURNING blob_key`,
      [execution, stream],
    )) as Row[];
    await em.query(
      `UPDATE execution_log_streams SET attempt = $3, received_chunks = 0, received_bytes = 0, expected_chunks = NULL,
         total_bytes = NULL, sha256 = NULL, truncated = false, state = 'open', updated = now()
       WHERE execution = $1 AND stream = $2`,
      [execution, stream, attempt],
    );
    // DELETE … RETURNING through TypeORM answers [rows, count].
    const rows = Array.isArray(old[0]) ? (old[0] as unknown as Row[]) : old;
    return rows.map((r) => String(r.blob_key));
  }

  /** Claims a complete, open stream for joining; answers null when not complete or already claimed. */
  async claimForFinalize(execution: number, stream: LogStreamName): Promise<LogStreamRow | null> {
    const rows = (await this.ds.query(
      `UPDATE execution_log_streams SET state = 'finalizing', updated = now()
        WHERE execution = $1 AND stream = $2 AND state = 'open' AND expected_chunks IS NOT NULL
          AND received_chunks = expected_chunks
        RETURNING *`,
      [execution, stream],
    )) as Row[];
    const list = Array.isArray(rows[0]) ? (rows[0] as unknown as Row[]) : rows;
    return list.length ? streamFromRow(list[0]) : null;
  }

  /** Gives a claimed stream back (joining failed; it will be tried again). */
  async releaseClaim(execution: number, stream: LogStreamName): Promise<void> {
    await this.ds.query(
      `UPDATE execution_log_streams SET state = 'open', updated = now() WHERE execution = $1 AND stream = $2 AND state = 'finalizing'`,
      [execution, stream],
    );
  }

  /**
   * Marks the stream closed on its artifact (null for a stream with no output) and drops its
   * chunk rows; answers their object keys.
   */
  async close(execution: number, stream: LogStreamName, artifact: number | null): Promise<string[]> {
    return this.ds.transaction(async (em) => {
      await em.query(
        `UPDATE execution_log_streams SET state = 'closed', artifact = $3, updated = now() WHERE execution = $1 AND stream = $2`,
        [execution, stream, artifact],
      );
      const rows = (await em.query(
        `DELETE FROM execution_log_chunks WHERE execution = $1 AND stream = $2 RETURNING blob_key`,
        [execution, stream],
      )) as Row[];
      const list = Array.isArray(rows[0]) ? (rows[0] as unknown as Row[]) : rows;
      return list.map((r) => String(r.blob_key));
    });
  }

  async findStream(execution: number, stream: LogStreamName): Promise<LogStreamRow | null> {
    const rows = (await this.ds.query(`SELECT * FROM execution_log_streams WHERE execution = $1 AND stream = $2`, [execution, stream])) as Row[];
    return rows.length ? streamFromRow(rows[0]) : null;
  }

  /** The current attempt's chunks in order, from `fromOffset` on (those that end after it). */
  async chunks(execution: number, stream: LogStreamName, attempt: number, fromOffset = 0): Promise<LogChunkRow[]> {
    const rows = (await this.ds.query(
      `SELECT seq, byte_offset, size_bytes, blob_key FROM execution_log_chunks
        WHERE execution = $1 AND stream = $2 AND attempt = $3 AND byte_offset + size_bytes > $4
        ORDER BY seq`,
      [execution, stream, attempt, fromOffset],
    )) as Row[];
    return rows.map((r) => ({ seq: Number(r.seq), offset: Number(r.byte_offset), size: Number(r.size_bytes), blobKey: String(r.blob_key) }));
  }

  /** Streams that are complete but not joined (a crash between the last chunk and the join). */
  async findUnfinished(olderThanMs: number, limit: number): Promise<LogStreamRow[]> {
    const rows = (await this.ds.query(
      `SELECT * FROM execution_log_streams
        WHERE state IN ('open', 'finalizing') AND expected_chunks IS NOT NULL AND received_chunks = expected_chunks
          AND updated < now() - ($1::double precision * interval '1 millisecond')
        ORDER BY updated LIMIT $2`,
      [olderThanMs, limit],
    )) as Row[];
    return rows.map(streamFromRow);
  }
}
