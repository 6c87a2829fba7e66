import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Task artifacts (the contract's "Task artifacts").
 * - `actions.artifacts`: the files an action declares (`[{path, name?, type?, required?, when?}]`),
 *   kept by the worker after each run.
 * - `artifacts.workflow_execution` / `task_name`: the workflow run (parent execution) and task
 *   whose execution made the artifact. A task's token reads the artifacts of its own run by it,
 *   and `GET /api/v1/artifacts?workflow_execution=&task=` filters on them.
 * - `artifact_blobs.encoding` / `stored_size`: content kept gzip-compressed (a workflow's
 *   `artifact_compression`). `sha256` and `size_bytes` stay those of the original bytes, which
 *   downloads give back; `stored_size` is what the object in the bucket holds.
 */
export class TaskArtifacts1765600000000 implements MigrationInterface {
  name = 'TaskArtifacts1765600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE actions ADD COLUMN artifacts jsonb NOT NULL DEFAULT '[]'::jsonb`);
    await q.query(`ALTER TABLE artifacts
      ADD COLUMN workflow_execution bigint REFERENCES executions(id) ON DELETE SET NULL,
      ADD COLUMN task_name text`);
    await q.query(`CREATE INDEX artifacts_workflow_execution_idx ON artifacts (workflow_execution, task_name) WHERE workflow_execution IS NOT NULL`);
    await q.query(`ALTER TABLE artifact_blobs
      ADD COLUMN encoding text CHECK (encoding IN ('gzip')),
      ADD COLUMN stored_size bigint CHECK (stored_size >= 0)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE artifact_blobs DROP COLUMN stored_size, DROP COLUMN encoding`);
    await q.query(`DROP INDEX artifacts_workflow_execution_idx`);
    await q.query(`ALTER TABLE artifacts DROP COLUMN task_name, DROP COLUMN workflow_execution`);
    await q.query(`ALTER TABLE actions DROP COLUMN artifacts`);
  }
}
