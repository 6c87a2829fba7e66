/** Where a child execution sits in its workflow run: the contract's `workflow_task`. */
export interface WorkflowTaskRef {
  /** The parent execution: the workflow run. */
  workflow_execution: number;
  task_name: string;
  /** The item's position for a `with_items` task. */
  task_index?: number;
  /** 1 for the first run of the task (item); each retry counts up. */
  attempt: number;
}

/**
 * The `worker` of an execution the executor holds itself rather than a worker (a workflow run,
 * an inquiry): `executor:<what>`. The worker-loss sweep leaves these alone.
 */
export const EXECUTOR_HELD_PREFIX = 'executor:';
export const WORKFLOW_RUN_WORKER = `${EXECUTOR_HELD_PREFIX}workflow`;
