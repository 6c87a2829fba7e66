import type { ExecutionStatus } from '@attune/api-client';

const TONE: Record<ExecutionStatus, string> = {
  requested: 'pending',
  scheduling: 'pending',
  scheduled: 'pending',
  running: 'running',
  completed: 'ok',
  failed: 'bad',
  canceling: 'warn',
  cancelled: 'muted',
  timeout: 'bad',
  abandoned: 'bad',
};

export function StatusBadge({ status }: { status: ExecutionStatus }) {
  return (
    <span className={`badge badge-${TONE[status] ?? 'muted'}`} data-status={status}>
      {status === 'running' && <span className="pulse" aria-hidden />}
      {status}
    </span>
  );
}
