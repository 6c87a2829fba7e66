/** `execution.result` once an execution is terminal (see the API contract). */
export interface ExecutionResult {
  exit_code: number | null;
  succeeded: boolean;
  duration_ms: number;
  stdout: string;
  stdout_truncated: boolean;
  stderr?: string;
  stderr_truncated?: boolean;
  /** API path of the full stdout (present when the process wrote any). */
  stdout_log?: string;
  stderr_log?: string;
  /** The full log hit its size cap and ends with a truncation marker. */
  stdout_log_truncated?: boolean;
  stderr_log_truncated?: boolean;
  data?: unknown;
  error?: string;
  timed_out?: boolean;
  cancelled?: boolean;
  signal?: string;
}
