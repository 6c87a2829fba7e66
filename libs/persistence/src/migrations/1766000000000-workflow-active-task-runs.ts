import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A run's open task runs, found without reading its finished ones: every step of a run looks for
 * children that ended while their task run is still `active` (the engine's endedChildren), and a
 * `with_items` run holds thousands of finished task runs beside a handful of active ones.
 */
export class WorkflowActiveTaskRuns1766000000000 implements MigrationInterface {
  name = 'WorkflowActiveTaskRuns1766000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX workflow_task_runs_run_active_idx ON workflow_task_runs (run) WHERE status = 'active'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX workflow_task_runs_run_active_idx`);
  }
}
