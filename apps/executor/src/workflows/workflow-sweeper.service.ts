import { TERMINAL_STATUSES } from '@attune/contracts';
import { type Logger, ROOT_LOGGER } from '@attune/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { WorkflowEngine } from './workflow-engine.service';

const BATCH = 200;

/**
 * What no message or timer brought to the engine, found in the database: runs past their
 * timeout, retries whose delay has passed, and children that ended without their run being
 * stepped (an executor died between the two, or the child ended by a path that does not tell
 * the engine). Every step it takes is one the engine makes idempotent, so several executors
 * sweeping at once are harmless.
 */
@Injectable()
export class WorkflowSweeper {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly engine: WorkflowEngine,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  /** One pass (every ATTUNE_WORKFLOW_SWEEP_INTERVAL_MS, PeriodicJobs). */
  async sweep(): Promise<number> {
    let handled = 0;
    const timedOut: Array<{ execution: string }> = await this.ds.query(
      `SELECT execution FROM workflow_runs WHERE status IN ('running', 'canceling') AND timeout_at <= now() LIMIT $1`,
      [BATCH],
    );
    for (const r of timedOut) {
      await this.engine.timeOut(Number(r.execution));
      handled++;
    }
    const due: Array<{ id: string; run: string }> = await this.ds.query(
      `SELECT id, run FROM workflow_task_runs WHERE status = 'delayed' AND not_before <= now() ORDER BY not_before LIMIT $1`,
      [BATCH],
    );
    for (const r of due) {
      await this.engine.startDelayed(Number(r.run), Number(r.id));
      handled++;
    }
    // Ended a moment ago: the engine is most likely stepping it right now; leave it a second. A
    // run already over takes in nothing more (its open task runs stay as they were left).
    const missed: Array<{ execution: string }> = await this.ds.query(
      `SELECT tr.execution FROM workflow_task_runs tr
         JOIN executions e ON e.id = tr.execution
         JOIN workflow_runs r ON r.execution = tr.run AND r.status IN ('running', 'canceling')
        WHERE tr.status = 'active' AND e.status = ANY($1::text[]) AND e.updated < now() - interval '1 second'
        LIMIT $2`,
      [TERMINAL_STATUSES, BATCH],
    );
    for (const r of missed) {
      this.logger.info({ execution_id: Number(r.execution) }, 'stepping a workflow task that ended unnoticed');
      await this.engine.childEnded(Number(r.execution));
      handled++;
    }
    return handled;
  }
}
