import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Workflows, first step: a child execution records where it sits in its workflow run
 * (`{workflow_execution, task_name, task_index?, attempt}`, the contract's `workflow_task`).
 */
export class WorkflowTask1765500000000 implements MigrationInterface {
  name = 'WorkflowTask1765500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE executions ADD COLUMN workflow_task jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE executions DROP COLUMN workflow_task`);
  }
}
