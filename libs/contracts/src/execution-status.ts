/** Every status an execution can be in. The order is the happy path. */
export const EXECUTION_STATUSES = [
  'requested',
  'scheduling',
  'scheduled',
  'running',
  'completed',
  'failed',
  'canceling',
  'cancelled',
  'timeout',
  'abandoned',
] as const;

export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

export const TERMINAL_STATUSES: readonly ExecutionStatus[] = ['completed', 'failed', 'cancelled', 'timeout', 'abandoned'];

export function isTerminal(status: ExecutionStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/**
 * The statuses an execution may be in for a transition to `to` to apply. Every status write
 * is an `UPDATE … WHERE status IN (allowedFrom(to))`, so a duplicate or late message can never
 * move an execution backwards or out of a terminal status.
 */
export const ALLOWED_FROM: Readonly<Record<ExecutionStatus, readonly ExecutionStatus[]>> = {
  // Only a re-dispatch after a lost worker (policy `retry`) goes back to `requested`.
  requested: ['running'],
  scheduling: ['requested', 'scheduling'],
  scheduled: ['scheduling'],
  // A worker may report `running` before the executor has recorded `scheduled`.
  running: ['scheduling', 'scheduled'],
  completed: ['scheduling', 'scheduled', 'running', 'canceling'],
  failed: ['requested', 'scheduling', 'scheduled', 'running', 'canceling'],
  canceling: ['scheduling', 'scheduled', 'running'],
  cancelled: ['requested', 'scheduling', 'scheduled', 'running', 'canceling'],
  timeout: ['scheduling', 'scheduled', 'running', 'canceling'],
  abandoned: ['scheduling', 'scheduled', 'running', 'canceling'],
};
