import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createTable, dropTables } from './migration-sql';

/**
 * Workflows.
 * - A workflow is an action with runtime `workflow`; its definition (the workflow YAML's content)
 *   is kept on the action row as written, with its own version string and tags.
 * - The executor's workflow engine writes three tables (and is their only writer):
 *   - `workflow_runs`: one per parent execution, with the normalized definition it started
 *     with (a later edit of the workflow never changes a running one), its variables and status.
 *   - `workflow_tasks`: one per task of a run: where the task stands, how many transitions
 *     have reached it (joins), and for `with_items` the rendered items and per-item results.
 *   - `workflow_task_runs`: one per child execution the engine creates. The unique key on
 *     (run, task, item, attempt) is what makes a redelivered completion or a second executor
 *     harmless: creating the same task run twice is a no-op.
 */
export class WorkflowEngine1765510000000 implements MigrationInterface {
  name = 'WorkflowEngine1765510000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE actions
      ADD COLUMN workflow_definition jsonb,
      ADD COLUMN workflow_version text,
      ADD COLUMN tags jsonb NOT NULL DEFAULT '[]'::jsonb`);
    await q.query(`CREATE TABLE workflow_runs (
      execution bigint PRIMARY KEY REFERENCES executions(id) ON DELETE CASCADE,
      action_ref text NOT NULL,
      definition jsonb NOT NULL,
      vars jsonb NOT NULL DEFAULT '{}'::jsonb,
      status text NOT NULL DEFAULT 'running',
      failed boolean NOT NULL DEFAULT false,
      error text,
      timeout_at timestamptz,
      created timestamptz NOT NULL DEFAULT now(),
      updated timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX workflow_runs_open_idx ON workflow_runs (timeout_at) WHERE status IN ('running', 'canceling')`);
    await q.query(`CREATE TABLE workflow_tasks (
      run bigint NOT NULL REFERENCES workflow_runs(execution) ON DELETE CASCADE,
      task_name text NOT NULL,
      status text NOT NULL DEFAULT 'pending',
      inbound integer NOT NULL DEFAULT 0,
      items jsonb,
      next_item integer NOT NULL DEFAULT 0,
      items_done integer NOT NULL DEFAULT 0,
      item_results jsonb,
      item_failed boolean NOT NULL DEFAULT false,
      result jsonb,
      handled boolean,
      started_at timestamptz,
      finished_at timestamptz,
      PRIMARY KEY (run, task_name)
    )`);
    await q.query(createTable('workflow_task_runs', `
        run bigint NOT NULL REFERENCES workflow_runs(execution) ON DELETE CASCADE,
        task_name text NOT NULL,
        item_index integer NOT NULL DEFAULT -1,
        attempt integer NOT NULL,
        execution bigint UNIQUE REFERENCES executions(id) ON DELETE CASCADE,
        status text NOT NULL,
        not_before timestamptz`, {
      updated: false,
      after: `
        finished_at timestamptz,
        UNIQUE (run, task_name, item_index, attempt)`,
    }));
    await q.query(`CREATE INDEX workflow_task_runs_open_idx ON workflow_task_runs (status, not_before) WHERE status IN ('active', 'delayed')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await dropTables(q, 'workflow_task_runs', 'workflow_tasks', 'workflow_runs');
    await q.query(`ALTER TABLE actions DROP COLUMN workflow_definition, DROP COLUMN workflow_version, DROP COLUMN tags`);
  }
}
