/** `execution.result` once an execution is terminal (see the API contract). */
export interface ExecutionResult {
  exit_code: number | null;
  succeeded: boolean;
  duration_ms: number;
  stdout: string;
  stdout_truncated: boolean;
  stderr?: string;
  stderr_truncated?: boolean;
  stdout_log?: string;
  stderr_log?: string;
  data?: unknown;
  error?: string;
  timed_out?: boolean;
  cancelled?: boolean;
  signal?: string;
}
