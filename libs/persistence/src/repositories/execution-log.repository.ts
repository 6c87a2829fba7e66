import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { LOG_NOTIFY_CHANNEL, type LogStreamName, type LogStreamRow, selectStream } from './execution-log.reader';
import { rowsOf } from './rows';

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

/**
 * The execution log tables (execution_log_streams, execution_log_chunks): artifact-store's, which
 * alone uses this repository. Services that only read logs use ExecutionLogReader.
 */
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
      const inserted = rowsOf(
        await em.query(
          `INSERT INTO execution_log_chunks (execution, stream, attempt, seq, byte_offset, size_bytes, blob_key)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING seq`,
          [c.execution, c.stream, c.attempt, c.seq, c.offset, c.size, c.blobKey],
        ),
      );
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
    const rows = rowsOf(
      await this.ds.query(
        `WITH closed AS (
           UPDATE execution_log_streams SET state = 'closed', artifact = $4, total_bytes = $5, sha256 = $6, truncated = $7,
                  closed = now(), updated = now()
            WHERE execution = $1 AND stream = $2 AND attempt = $3 RETURNING execution)
         SELECT execution, pg_notify($8, execution::text) FROM closed`,
        [execution, stream, attempt, log.artifact, log.totalBytes, log.sha256, log.truncated, LOG_NOTIFY_CHANNEL],
      ),
    );
    return rows.length > 0;
  }

  /** The log artifact of an execution's stream: bound by execution id and origin, never found by ref. */
  async findLogArtifact(execution: number, stream: LogStreamName): Promise<number | null> {
    const [row] = rowsOf(await this.ds.query(`SELECT id FROM artifacts WHERE execution = $1 AND name = $2 AND origin = 'log'`, [execution, stream]));
    return row ? Number(row.id) : null;
  }

  /**
   * Live chunks of streams whose whole log was stored more than `graceMs` ago: their rows go and
   * their object keys come back to delete. The grace lets a read that began on them finish.
   */
  async purgeStoredChunks(graceMs: number, limit: number): Promise<string[]> {
    const rows = rowsOf(
      await this.ds.query(
        `DELETE FROM execution_log_chunks c WHERE (c.execution, c.stream, c.attempt, c.seq) IN (
           SELECT k.execution, k.stream, k.attempt, k.seq FROM execution_log_chunks k
             JOIN execution_log_streams s ON s.execution = k.execution AND s.stream = k.stream
            WHERE s.state = 'closed' AND s.closed < now() - ($1::double precision * interval '1 millisecond')
            LIMIT $2)
         RETURNING blob_key`,
        [graceMs, limit],
      ),
    );
    return rows.map((r) => String(r.blob_key));
  }

  /** The stream's row, locked for the transaction; created for `attempt` if there is none. */
  private async lockStream(em: EntityManager, execution: number, stream: string, attempt: number): Promise<LogStreamRow> {
    await em.query(`INSERT INTO execution_log_streams (execution, stream, attempt) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [execution, stream, attempt]);
    return (await selectStream(em, execution, stream, 'FOR UPDATE')) as LogStreamRow;
  }

  private async restart(em: EntityManager, execution: number, stream: string, attempt: number): Promise<string[]> {
    const old = rowsOf(await em.query(`DELETE FROM execution_log_chunks WHERE execution = $1 AND stream = $2 RETURNING blob_key`, [execution, stream]));
    await em.query(
      `UPDATE execution_log_streams SET attempt = $3, received_chunks = 0, received_bytes = 0, expected_chunks = NULL,
         total_bytes = NULL, sha256 = NULL, truncated = false, state = 'open', closed = NULL, updated = now()
       WHERE execution = $1 AND stream = $2`,
      [execution, stream, attempt],
    );
    return old.map((r) => String(r.blob_key));
  }

  findStream(execution: number, stream: LogStreamName): Promise<LogStreamRow | null> {
    return selectStream(this.ds, execution, stream);
  }
}
