import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Execution control: worker-loss policy per action, dispatch attempts per execution. */
export class ExecutionControl1764100000000 implements MigrationInterface {
  name = 'ExecutionControl1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE actions ADD COLUMN on_worker_lost text NOT NULL DEFAULT 'abandon'
      CHECK (on_worker_lost IN ('abandon', 'retry'))`);
    await q.query(`ALTER TABLE executions ADD COLUMN attempt integer NOT NULL DEFAULT 1 CHECK (attempt > 0)`);
    // Executions still running on a worker, looked up by the worker-loss sweep.
    await q.query(`CREATE INDEX executions_worker_active_idx ON executions (worker)
      WHERE status IN ('running', 'canceling')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX executions_worker_active_idx`);
    await q.query(`ALTER TABLE executions DROP COLUMN attempt`);
    await q.query(`ALTER TABLE actions DROP COLUMN on_worker_lost`);
  }
}
