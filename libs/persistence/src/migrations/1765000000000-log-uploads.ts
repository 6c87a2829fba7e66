import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Logs stored whole by the worker, and bound to their execution by id.
 *
 * - `artifacts.origin` says who made an artifact: `log` (an execution's stdout/stderr, written
 *   by the platform only), `action` (made with an execution token) or `user`. A log artifact is
 *   found by (execution, stream name, origin = log), never by its ref, so a ref someone picked
 *   can never capture another execution's log; the unique index makes it one per stream.
 * - Live chunks of a stream whose whole log is stored are kept for a grace period (a read that
 *   began on them finishes), then removed by artifact-store's sweep; `closed` marks when.
 */
export class LogUploads1765000000000 implements MigrationInterface {
  name = 'LogUploads1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE artifacts ADD COLUMN origin text NOT NULL DEFAULT 'user' CHECK (origin IN ('log', 'action', 'user'))`);
    await q.query(`UPDATE artifacts SET origin = 'log' WHERE id IN (SELECT artifact FROM execution_log_streams WHERE artifact IS NOT NULL)`);
    // Versions uploaded with an execution token made the rest of an execution's artifacts.
    await q.query(
      `UPDATE artifacts a SET origin = 'action' WHERE origin = 'user' AND execution IS NOT NULL
         AND EXISTS (SELECT 1 FROM artifact_versions v WHERE v.artifact = a.id AND v.created_by LIKE 'execution:%')`,
    );
    await q.query(`CREATE UNIQUE INDEX artifacts_log_stream_idx ON artifacts (execution, name) WHERE origin = 'log'`);
    await q.query(`CREATE INDEX artifacts_origin_idx ON artifacts (origin, created DESC, id DESC)`);
    await q.query(`ALTER TABLE execution_log_streams ADD COLUMN closed timestamptz`);
    await q.query(`UPDATE execution_log_streams SET closed = updated WHERE state = 'closed'`);
    await q.query(`CREATE INDEX execution_log_streams_closed_idx ON execution_log_streams (closed) WHERE closed IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX execution_log_streams_closed_idx`);
    await q.query(`ALTER TABLE execution_log_streams DROP COLUMN closed`);
    await q.query(`DROP INDEX artifacts_origin_idx`);
    await q.query(`DROP INDEX artifacts_log_stream_idx`);
    await q.query(`ALTER TABLE artifacts DROP COLUMN origin`);
  }
}
