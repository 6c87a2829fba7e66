import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';

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

export interface NewLogChunk {
  execution: number;
  stream: LogStreamName;
  attempt: number;
  seq: number;
  offset: number;
  size: number;
  blobKey: string;
}

/** `closed`: the whole log is stored already; the chunk is not needed. */
export type ChunkOutcome = 'recorded' | 'duplicate' | 'stale-attempt' | 'closed';

/** Where a log commit stands: `stale` for an older attempt, `committed` when this attempt's log is stored already. */
export type LogCommitStart =
  | { outcome: 'open'; orphanedKeys: string[] }
  | { outcome: 'stale'; currentAttempt: number }
  | { outcome: 'committed'; row: LogStreamRow };

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
    closed: (r.closed as Date | null | undefined) ?? null,
  };
}

/** The execution log tables (execution_log_streams, execution_log_chunks); artifact-store writes them. */
@Injectable()
export class ExecutionLogRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /**
   * Records one live chunk, idempotently. Chunks of an older attempt than the stream's, or of a
   * stream whose whole log is stored, are not kept; a newer attempt (a re-dispatch after a lost
   * worker) starts the stream over, and the caller gets the orphaned chunks' objects to delete.
   */
  async recordChunk(c: NewLogChunk): Promise<{ outcome: ChunkOutcome; orphanedKeys: string[] }> {
    return this.ds.transaction(async (em) => {
      const stream = await this.lockStream(em, c.execution, c.stream, c.attempt);
      let orphanedKeys: string[] = [];
      if (c.attempt < stream.attempt) return { outcome: 'stale-attempt' as const, orphanedKeys };
      if (c.attempt > stream.attempt) orphanedKeys = await this.restart(em, c.execution, c.stream, c.attempt);
      else if (stream.state === 'closed') return { outcome: 'closed' as const, orphanedKeys };
      const inserted = (await em.query(
        `INSERT INTO execution_log_chunks (execution, stream, attempt, seq, byte_offset, size_bytes, blob_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING seq`,
        [c.execution, c.stream, c.attempt, c.seq, c.offset, c.size, c.blobKey],
      )) as Row[];
      const fresh = inserted.length > 0;
      if (fresh) {
        await em.query(
          `UPDATE execution_log_streams SET received_chunks = received_chunks + 1, received_bytes = received_bytes + $3, updated = now()
            WHERE execution = $1 AND stream = $2`,
          [c.execution, c.stream, c.size],
        );
        // Delivered when the transaction commits: a follower woken by it reads the new chunk.
        await em.query(`SELECT pg_notify($1, $2)`, [LOG_NOTIFY_CHANNEL, String(c.execution)]);
      }
      return { outcome: fresh ? ('recorded' as const) : ('duplicate' as const), orphanedKeys };
    });
  }

  /**
   * Before a whole log is committed: the stream row of this attempt, created if no chunk came
   * (a short run), restarted if it held an earlier attempt's chunks.
   */
  async beginCommit(execution: number, stream: LogStreamName, attempt: number): Promise<LogCommitStart> {
    return this.ds.transaction(async (em) => {
      const row = await this.lockStream(em, execution, stream, attempt);
      if (attempt < row.attempt) return { outcome: 'stale' as const, currentAttempt: row.attempt };
      if (attempt > row.attempt) return { outcome: 'open' as const, orphanedKeys: await this.restart(em, execution, stream, attempt) };
      if (row.state === 'closed') return { outcome: 'committed' as const, row };
      return { outcome: 'open' as const, orphanedKeys: [] };
    });
  }

  /** Records that the attempt's whole log is stored as `artifact`'s newest version; false if a newer attempt took over. */
  async markCommitted(execution: number, stream: LogStreamName, attempt: number, log: { artifact: number; totalBytes: number; sha256: string; truncated: boolean }): Promise<boolean> {
    const rows = (await this.ds.query(
      `WITH closed AS (
         UPDATE execution_log_streams SET state = 'closed', artifact = $4, total_bytes = $5, sha256 = $6, truncated = $7,
                closed = now(), updated = now()
          WHERE execution = $1 AND stream = $2 AND attempt = $3 RETURNING execution)
       SELECT execution, pg_notify($8, execution::text) FROM closed`,
      [execution, stream, attempt, log.artifact, log.totalBytes, log.sha256, log.truncated, LOG_NOTIFY_CHANNEL],
    )) as Row[];
    const list = Array.isArray(rows[0]) ? (rows[0] as unknown as Row[]) : rows;
    return list.length > 0;
  }

  /** The log artifact of an execution's stream: bound by execution id and origin, never found by ref. */
  async findLogArtifact(execution: number, stream: LogStreamName): Promise<number | null> {
    const rows = (await this.ds.query(`SELECT id FROM artifacts WHERE execution = $1 AND name = $2 AND origin = 'log'`, [execution, stream])) as Row[];
    return rows.length ? Number(rows[0].id) : null;
  }

  /**
   * Live chunks of streams whose whole log was stored more than `graceMs` ago: their rows go and
   * their object keys come back to delete. The grace lets a read that began on them finish.
   */
  async purgeStoredChunks(graceMs: number, limit: number): Promise<string[]> {
    const rows = (await this.ds.query(
      `DELETE FROM execution_log_chunks c WHERE (c.execution, c.stream, c.attempt, c.seq) IN (
         SELECT k.execution, k.stream, k.attempt, k.seq FROM execution_log_chunks k
           JOIN execution_log_streams s ON s.execution = k.execution AND s.stream = k.stream
          WHERE s.state = 'closed' AND s.closed < now() - ($1::double precision * interval '1 millisecond')
          LIMIT $2)
       RETURNING blob_key`,
      [graceMs, limit],
    )) as Row[];
    const list = Array.isArray(rows[0]) ? (rows[0] as unknown as Row[]) : rows;
    return list.map((r) => String(r.blob_key));
  }

  /** The stream's row, locked for the transaction; created for `attempt` if there is none. */
  private async lockStream(em: EntityManager, execution: number, stream: string, attempt: number): Promise<LogStreamRow> {
    await em.query(`INSERT INTO execution_log_streams (execution, stream, attempt) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [execution, stream, attempt]);
    const [current] = (await em.query(`SELECT * FROM execution_log_streams WHERE execution = $1 AND stream = $2 FOR UPDATE`, [execution, stream])) as Row[];
    return streamFromRow(current);
  }

  private async restart(em: EntityManager, execution: number, stream: string, attempt: number): Promise<string[]> {
    const old = (await em.query(
      `DELETE FROM execution_log_chunks WHERE execution = $1 AND stream = $2 RETURNING blob_key`,
      [execution, stream],
    )) as Row[];
    await em.query(
      `UPDATE execution_log_streams SET attempt = $3, received_chunks = 0, received_bytes = 0, expected_chunks = NULL,
         total_bytes = NULL, sha256 = NULL, truncated = false, state = 'open', closed = NULL, updated = now()
       WHERE execution = $1 AND stream = $2`,
      [execution, stream, attempt],
    );
    // DELETE … RETURNING through TypeORM answers [rows, count].
    const rows = Array.isArray(old[0]) ? (old[0] as unknown as Row[]) : old;
    return rows.map((r) => String(r.blob_key));
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
}
