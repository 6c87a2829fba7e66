import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { nullableNumber, type Row } from './rows';

/** A workflow run as the executor's engine recorded it (`workflow_runs`). */
export interface WorkflowRunRecord {
  execution: number;
  actionRef: string;
  /** The normalized definition the run started with. */
  definition: Record<string, unknown>;
  vars: Record<string, unknown>;
  status: string;
  error: string | null;
  created: Date;
  updated: Date;
}

/** One task of a run (`workflow_tasks`). */
export interface WorkflowTaskRecord {
  taskName: string;
  status: string;
  /** For `with_items`: how many items the task has, and how many have ended. */
  itemCount: number | null;
  itemsDone: number;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** One child execution the engine created for a task (`workflow_task_runs` with its execution). */
export interface WorkflowTaskRunRecord {
  taskName: string;
  /** The item's index for `with_items`, else null. */
  itemIndex: number | null;
  attempt: number;
  /** Null while the task run waits (a retry's delay) and has no execution yet. */
  execution: number | null;
  /** The execution's status, or the task run's own while it has no execution. */
  status: string;
  actionRef: string | null;
  /** True when the child is itself a workflow (a sub-workflow). */
  workflow: boolean;
  created: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/**
 * Reads the workflow engine's tables for the api's views. The executor's engine is their only
 * writer (see migration 1765510000000); nothing here writes.
 */
@Injectable()
export class WorkflowRunReader {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async findRun(execution: number): Promise<WorkflowRunRecord | null> {
    const rows: Row[] = await this.ds.query(
      `SELECT execution, action_ref, definition, vars, status, error, created, updated FROM workflow_runs WHERE execution = $1`,
      [execution],
    );
    if (!rows.length) return null;
    const r = rows[0];
    return {
      execution: Number(r.execution),
      actionRef: r.action_ref as string,
      definition: r.definition as Record<string, unknown>,
      vars: (r.vars ?? {}) as Record<string, unknown>,
      status: r.status as string,
      error: (r.error as string | null) ?? null,
      created: r.created as Date,
      updated: r.updated as Date,
    };
  }

  async findTasks(run: number): Promise<WorkflowTaskRecord[]> {
    const rows: Row[] = await this.ds.query(
      `SELECT task_name, status, CASE WHEN jsonb_typeof(items) = 'array' THEN jsonb_array_length(items) END AS item_count,
              items_done, started_at, finished_at
         FROM workflow_tasks WHERE run = $1`,
      [run],
    );
    return rows.map((r) => ({
      taskName: r.task_name as string,
      status: r.status as string,
      itemCount: nullableNumber(r.item_count),
      itemsDone: Number(r.items_done ?? 0),
      startedAt: (r.started_at as Date | null) ?? null,
      finishedAt: (r.finished_at as Date | null) ?? null,
    }));
  }

  /** Every child of the run, by task, item and attempt (creation order breaks ties). */
  async findTaskRuns(run: number): Promise<WorkflowTaskRunRecord[]> {
    const rows: Row[] = await this.ds.query(
      `SELECT tr.task_name, tr.item_index, tr.attempt, tr.execution, tr.status AS run_status, tr.created,
              tr.finished_at AS run_finished_at, e.status, e.action_ref, e.started_at, e.finished_at,
              (a.runtime = 'workflow') AS is_workflow
         FROM workflow_task_runs tr
         LEFT JOIN executions e ON e.id = tr.execution
         LEFT JOIN actions a ON a.id = e.action
        WHERE tr.run = $1
        ORDER BY tr.task_name, tr.item_index, tr.attempt, tr.id`,
      [run],
    );
    return rows.map((r) => ({
      taskName: r.task_name as string,
      itemIndex: Number(r.item_index) < 0 ? null : Number(r.item_index),
      attempt: Number(r.attempt),
      execution: nullableNumber(r.execution),
      status: ((r.status ?? r.run_status) as string) ?? 'pending',
      actionRef: (r.action_ref as string | null) ?? null,
      workflow: r.is_workflow === true,
      created: r.created as Date,
      startedAt: (r.started_at as Date | null) ?? null,
      finishedAt: ((r.finished_at ?? r.run_finished_at) as Date | null) ?? null,
    }));
  }
}
