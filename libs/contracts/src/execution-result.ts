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
  /** Bytes and SHA-256 (hex) of the stored log: a full read of `<stream>_log` returns exactly these. */
  stdout_log_bytes?: number;
  stdout_log_sha256?: string;
  stderr_log_bytes?: number;
  stderr_log_sha256?: string;
  /**
   * Only part of the log is stored: the worker was lost mid-run, or storing the log failed.
   * What is stored reads as usual, with `X-Log-Complete: false`.
   */
  stdout_log_incomplete?: boolean;
  stderr_log_incomplete?: boolean;
  data?: unknown;
  /** Files kept as artifacts after the run (declared, or left in ATTUNE_ARTIFACTS_DIR): each one's stored version. */
  artifacts?: KeptArtifact[];
  /** Declared optional artifacts the run did not produce (their declared path). */
  artifacts_missing?: string[];
  error?: string;
  timed_out?: boolean;
  cancelled?: boolean;
  signal?: string;
  /** A workflow run's `output_map`, rendered. */
  output?: unknown;
  /** A workflow run's tasks: `{<name>: {status, execution, items?}}`. */
  tasks?: Record<string, unknown>;
}

/** One file an execution kept: the artifact and the version its bytes became. */
export interface KeptArtifact {
  name: string;
  /** The file, relative to the work directory. */
  path: string;
  artifact: number;
  ref: string;
  version: number;
  size_bytes: number;
  sha256: string;
}
