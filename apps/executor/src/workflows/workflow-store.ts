import { ALLOWED_FROM, type ExecutionResult, type ExecutionStatus, TERMINAL_STATUSES, WORKFLOW_RUN_WORKER, type WorkflowTaskRef } from '@attune/contracts';
import { ExecutionEntity, type Row, rowsOf } from '@attune/persistence';
import type { WorkflowDefinition } from '@attune/workflows';
import type { EntityManager } from 'typeorm';

/** Where a task of a run stands. `pending` until a transition or its dependencies start it. */
export type TaskStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'timed_out' | 'cancelled' | 'skipped';
/** How one run of a task (one child execution) ended; `active` while it runs, `delayed` while a retry waits. */
export type TaskRunStatus = 'active' | 'delayed' | 'succeeded' | 'failed' | 'timed_out' | 'cancelled';
export type RunStatus = 'running' | 'canceling' | 'completed' | 'failed' | 'cancelled' | 'timeout';

export interface RunRow {
  execution: number;
  actionRef: string;
  definition: WorkflowDefinition;
  vars: Record<string, unknown>;
  status: RunStatus;
  failed: boolean;
  error: string | null;
  timeoutAt: Date | null;
}

export interface TaskRow {
  taskName: string;
  status: TaskStatus;
  inbound: number;
  items: unknown[] | null;
  nextItem: number;
  itemsDone: number;
  itemFailed: boolean;
  result: unknown;
  handled: boolean | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** Changed in this step: written back at its end. */
  dirty?: boolean;
}

export interface TaskRunRow {
  id: number;
  run: number;
  taskName: string;
  itemIndex: number;
  attempt: number;
  execution: number | null;
  status: TaskRunStatus;
}

export interface NewChild {
  action: number;
  actionRef: string;
  config: Record<string, unknown>;
  secretParameters: string | null;
  parent: number;
  executor: number | null;
  timeoutSeconds: number;
  workflowTask: WorkflowTaskRef;
  /** A child that cannot start (its input did not render): recorded already `failed`. */
  failedResult?: ExecutionResult;
}


function runOf(r: Row): RunRow {
  return {
    execution: Number(r.execution),
    actionRef: r.action_ref as string,
    definition: r.definition as WorkflowDefinition,
    vars: r.vars as Record<string, unknown>,
    status: r.status as RunStatus,
    failed: r.failed as boolean,
    error: (r.error as string | null) ?? null,
    timeoutAt: (r.timeout_at as Date | null) ?? null,
  };
}

function taskOf(r: Row): TaskRow {
  return {
    taskName: r.task_name as string,
    status: r.status as TaskStatus,
    inbound: r.inbound as number,
    items: (r.items as unknown[] | null) ?? null,
    nextItem: r.next_item as number,
    itemsDone: r.items_done as number,
    itemFailed: r.item_failed as boolean,
    result: r.result ?? null,
    handled: (r.handled as boolean | null) ?? null,
    startedAt: (r.started_at as Date | null) ?? null,
    finishedAt: (r.finished_at as Date | null) ?? null,
  };
}

function taskRunOf(r: Row): TaskRunRow {
  return {
    id: Number(r.id),
    run: Number(r.run),
    taskName: r.task_name as string,
    itemIndex: r.item_index as number,
    attempt: r.attempt as number,
    execution: r.execution === null ? null : Number(r.execution),
    status: r.status as TaskRunStatus,
  };
}

/**
 * The workflow engine's SQL, always inside the caller's transaction (`em`). The engine is the
 * only writer of these tables; the api reads them for the workflow view.
 */
export class WorkflowStore {
  constructor(private readonly em: EntityManager) {}

  /** Creates the run and its tasks; false when the run exists already (a repeated start). */
  async createRun(execution: number, actionRef: string, definition: WorkflowDefinition, vars: Record<string, unknown>): Promise<boolean> {
    const timeoutAt = definition.timeout ? new Date(Date.now() + definition.timeout * 1000) : null;
    const inserted = await this.em.query(
      `INSERT INTO workflow_runs (execution, action_ref, definition, vars, timeout_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (execution) DO NOTHING RETURNING execution`,
      [execution, actionRef, JSON.stringify(definition), JSON.stringify(vars), timeoutAt],
    );
    if (!inserted.length) return false;
    await this.em.query(
      `INSERT INTO workflow_tasks (run, task_name) SELECT $1, unnest($2::text[])`,
      [execution, definition.tasks.map((t) => t.name)],
    );
    return true;
  }

  /** The run, locked for this step: steps of one run never interleave, across executors too. */
  async lockRun(execution: number): Promise<RunRow | null> {
    const rows: Row[] = await this.em.query(`SELECT * FROM workflow_runs WHERE execution = $1 FOR UPDATE`, [execution]);
    return rows.length ? runOf(rows[0]) : null;
  }

  /** As lockRun, but null at once when another step holds the run (it looks again when it commits). */
  async tryLockRun(execution: number): Promise<RunRow | null> {
    const rows: Row[] = await this.em.query(`SELECT * FROM workflow_runs WHERE execution = $1 FOR UPDATE SKIP LOCKED`, [execution]);
    return rows.length ? runOf(rows[0]) : null;
  }

  /** Children of the run that ended while their task run is still open: what a step has to take in. */
  async endedChildren(run: number): Promise<Array<{ id: number; status: ExecutionStatus; result: ExecutionResult | null }>> {
    const rows: Row[] = await this.em.query(
      `SELECT e.id, e.status, e.result FROM workflow_task_runs tr JOIN executions e ON e.id = tr.execution
        WHERE tr.run = $1 AND tr.status = 'active' AND e.status = ANY($2::text[]) ORDER BY tr.id`,
      [run, TERMINAL_STATUSES],
    );
    return rows.map((r) => ({ id: Number(r.id), status: r.status as ExecutionStatus, result: (r.result as ExecutionResult | null) ?? null }));
  }

  async saveRun(run: RunRow): Promise<void> {
    await this.em.query(`UPDATE workflow_runs SET vars = $2, status = $3, failed = $4, error = $5, updated = now() WHERE execution = $1`, [
      run.execution,
      JSON.stringify(run.vars),
      run.status,
      run.failed,
      run.error,
    ]);
  }

  async tasks(run: number): Promise<Map<string, TaskRow>> {
    const rows: Row[] = await this.em.query(`SELECT * FROM workflow_tasks WHERE run = $1`, [run]);
    return new Map(rows.map((r) => [r.task_name as string, taskOf(r)]));
  }

  async saveTasks(run: number, tasks: Iterable<TaskRow>): Promise<void> {
    for (const t of tasks) {
      if (!t.dirty) continue;
      await this.em.query(
        `UPDATE workflow_tasks SET status = $3, inbound = $4, items = $5, next_item = $6, items_done = $7, item_failed = $8,
                result = $9, handled = $10, started_at = $11, finished_at = $12
          WHERE run = $1 AND task_name = $2`,
        [
          run,
          t.taskName,
          t.status,
          t.inbound,
          t.items === null ? null : JSON.stringify(t.items),
          t.nextItem,
          t.itemsDone,
          t.itemFailed,
          t.result === null || t.result === undefined ? null : JSON.stringify(t.result),
          t.handled,
          t.startedAt,
          t.finishedAt,
        ],
      );
      t.dirty = false;
    }
  }

  /**
   * Records a task run. The unique key (run, task, item, attempt) makes a second creation of
   * the same run a no-op: answers null then, and the caller creates no child.
   */
  async insertTaskRun(run: number, taskName: string, itemIndex: number, attempt: number, status: TaskRunStatus, notBefore: Date | null): Promise<number | null> {
    const rows: Row[] = await this.em.query(
      `INSERT INTO workflow_task_runs (run, task_name, item_index, attempt, status, not_before) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (run, task_name, item_index, attempt) DO NOTHING RETURNING id`,
      [run, taskName, itemIndex, attempt, status, notBefore],
    );
    return rows.length ? Number(rows[0].id) : null;
  }

  async attachExecution(taskRun: number, execution: number): Promise<void> {
    await this.em.query(`UPDATE workflow_task_runs SET execution = $2, status = 'active' WHERE id = $1`, [taskRun, execution]);
  }

  /** Ends the task run of a child, once: null when it was already ended (a repeated completion). */
  async endTaskRunOf(execution: number, status: TaskRunStatus): Promise<TaskRunRow | null> {
    const rows = rowsOf(
      await this.em.query(
        `UPDATE workflow_task_runs SET status = $2, finished_at = now() WHERE execution = $1 AND status = 'active' RETURNING *`,
        [execution, status],
      ),
    );
    return rows.length ? taskRunOf(rows[0]) : null;
  }

  /** Claims a delayed retry that is due: null when another step claimed it or it was cancelled. */
  async claimDelayed(taskRun: number): Promise<TaskRunRow | null> {
    const rows = rowsOf(
      await this.em.query(`UPDATE workflow_task_runs SET status = 'active' WHERE id = $1 AND status = 'delayed' RETURNING *`, [taskRun]),
    );
    return rows.length ? taskRunOf(rows[0]) : null;
  }

  /** Children still running (or retries waiting) in the run. */
  async openTaskRuns(run: number): Promise<TaskRunRow[]> {
    const rows: Row[] = await this.em.query(`SELECT * FROM workflow_task_runs WHERE run = $1 AND status IN ('active', 'delayed')`, [run]);
    return rows.map(taskRunOf);
  }

  /** Cancels waiting retries of the run; answers how many. */
  async cancelDelayed(run: number): Promise<void> {
    await this.em.query(`UPDATE workflow_task_runs SET status = 'cancelled', finished_at = now() WHERE run = $1 AND status = 'delayed'`, [run]);
  }

  /** Results of a with_items task's items, in item order (the last attempt of each). */
  async itemResults(run: number, taskName: string): Promise<Array<{ index: number; status: TaskRunStatus; execution: number | null; result: unknown }>> {
    const rows: Row[] = await this.em.query(
      `SELECT DISTINCT ON (tr.item_index) tr.item_index, tr.status, tr.execution, e.result
         FROM workflow_task_runs tr LEFT JOIN executions e ON e.id = tr.execution
        WHERE tr.run = $1 AND tr.task_name = $2 AND tr.item_index >= 0
        ORDER BY tr.item_index, tr.attempt DESC`,
      [run, taskName],
    );
    return rows.map((r) => ({ index: r.item_index as number, status: r.status as TaskRunStatus, execution: r.execution === null ? null : Number(r.execution), result: r.result ?? null }));
  }

  /** The last child of each task (for the run's result). */
  async lastExecutions(run: number): Promise<Map<string, number>> {
    const rows: Row[] = await this.em.query(
      `SELECT DISTINCT ON (task_name) task_name, execution FROM workflow_task_runs
        WHERE run = $1 AND execution IS NOT NULL ORDER BY task_name, id DESC`,
      [run],
    );
    return new Map(rows.map((r) => [r.task_name as string, Number(r.execution)]));
  }

  async createChild(child: NewChild): Promise<number> {
    const failed = child.failedResult !== undefined;
    const rows: Row[] = await this.em.query(
      `INSERT INTO executions (action, action_ref, config, env_vars, parent, executor, status, timeout_seconds, secret_parameters, workflow_task, result, finished_at)
       VALUES ($1, $2, $3, '{}'::jsonb, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
      [
        child.action,
        child.actionRef,
        JSON.stringify(child.config),
        child.parent,
        child.executor,
        failed ? 'failed' : 'requested',
        child.timeoutSeconds,
        child.secretParameters,
        JSON.stringify(child.workflowTask),
        failed ? JSON.stringify(child.failedResult) : null,
        failed ? new Date() : null,
      ],
    );
    return Number(rows[0].id);
  }

  /** The parent is `running`, held by the executor (so no worker-loss sweep touches it); false when it moved meanwhile (cancelled). */
  async startParent(execution: number): Promise<boolean> {
    const rows = rowsOf(
      await this.em.query(
        `UPDATE executions SET status = 'running', worker = $3, started_at = COALESCE(started_at, now()), updated = now()
          WHERE id = $1 AND status = ANY($2::text[]) RETURNING id`,
        [execution, ALLOWED_FROM.running, WORKFLOW_RUN_WORKER],
      ),
    );
    return rows.length > 0;
  }

  /** Moves the parent execution, guarded like every execution transition. */
  async transitionParent(execution: number, to: ExecutionStatus, from: readonly ExecutionStatus[], result?: ExecutionResult): Promise<boolean> {
    const terminal = result !== undefined;
    const rows = rowsOf(
      await this.em.query(
        `UPDATE executions SET status = $2, updated = now()${terminal ? ', result = $4, finished_at = now()' : ''}
          WHERE id = $1 AND status = ANY($3::text[]) RETURNING id`,
        terminal ? [execution, to, from, JSON.stringify(result)] : [execution, to, from],
      ),
    );
    return rows.length > 0;
  }

  parent(execution: number): Promise<ExecutionEntity | null> {
    return this.em.findOneBy(ExecutionEntity, { id: execution });
  }
}
