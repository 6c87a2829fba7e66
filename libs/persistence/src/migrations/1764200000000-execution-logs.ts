import type { MigrationInterface, QueryRunner } from 'typeorm';
import { dropTables } from './migration-sql';

/**
 * Execution logs. While an execution runs, its output arrives as chunks: each chunk's bytes
 * are an object under `logs/` in the bucket and a row here. Once a stream is complete, the
 * chunks are joined into one version of the execution's `file_text` log artifact and the
 * chunk rows and objects go. artifact-store is the only writer of both tables.
 */
export class ExecutionLogs1764200000000 implements MigrationInterface {
  name = 'ExecutionLogs1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE actions ADD COLUMN max_log_bytes bigint CHECK (max_log_bytes > 0)`);
    await q.query(`
      CREATE TABLE execution_log_streams (
        execution bigint NOT NULL REFERENCES executions(id) ON DELETE CASCADE,
        stream text NOT NULL CHECK (stream IN ('stdout', 'stderr')),
        attempt integer NOT NULL CHECK (attempt > 0),
        received_chunks integer NOT NULL DEFAULT 0,
        received_bytes bigint NOT NULL DEFAULT 0,
        expected_chunks integer,
        total_bytes bigint,
        sha256 text,
        truncated boolean NOT NULL DEFAULT false,
        state text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'finalizing', 'closed')),
        artifact bigint REFERENCES artifacts(id) ON DELETE SET NULL,
        created timestamptz NOT NULL DEFAULT now(),
        updated timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (execution, stream)
      )`);
    await q.query(`
      CREATE TABLE execution_log_chunks (
        execution bigint NOT NULL,
        stream text NOT NULL,
        attempt integer NOT NULL,
        seq integer NOT NULL CHECK (seq >= 0),
        byte_offset bigint NOT NULL CHECK (byte_offset >= 0),
        size_bytes integer NOT NULL CHECK (size_bytes >= 0),
        blob_key text NOT NULL,
        created timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (execution, stream, attempt, seq),
        FOREIGN KEY (execution, stream) REFERENCES execution_log_streams (execution, stream) ON DELETE CASCADE
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await dropTables(q, 'execution_log_chunks', 'execution_log_streams');
    await q.query(`ALTER TABLE actions DROP COLUMN max_log_bytes`);
  }
}
