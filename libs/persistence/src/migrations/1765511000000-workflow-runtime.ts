import type { MigrationInterface, QueryRunner } from 'typeorm';

/** `workflow` is an action runtime too; a workflow action must carry its definition, a script action none. */
export class WorkflowRuntime1765511000000 implements MigrationInterface {
  name = 'WorkflowRuntime1765511000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE actions DROP CONSTRAINT IF EXISTS actions_runtime_check`);
    await q.query(`ALTER TABLE actions ADD CONSTRAINT actions_runtime_check CHECK (runtime IN ('shell', 'python', 'node', 'workflow'))`);
    await q.query(`ALTER TABLE actions ADD CONSTRAINT actions_workflow_definition_check
      CHECK ((runtime = 'workflow') = (workflow_definition IS NOT NULL))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE actions DROP CONSTRAINT actions_workflow_definition_check`);
    await q.query(`ALTER TABLE actions DROP CONSTRAINT actions_runtime_check`);
    await q.query(`ALTER TABLE actions ADD CONSTRAINT actions_runtime_check CHECK (runtime IN ('shell', 'python', 'node'))`);
  }
}
