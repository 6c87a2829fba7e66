// The API's shapes as the UI uses them (docs: /work/shared/docs/api-contract.md, OpenAPI at /docs).

/** Mirrors EXECUTION_STATUSES in libs/contracts (a unit test keeps them equal). */
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
export const isTerminal = (status: ExecutionStatus): boolean => TERMINAL_STATUSES.includes(status);

/** Mirrors ARTIFACT_TYPES and ARTIFACT_SCOPES in libs/contracts. */
export const ARTIFACT_TYPES = ['file_binary', 'file_datatable', 'file_image', 'file_text', 'progress', 'url', 'other'] as const;
export type ArtifactType = (typeof ARTIFACT_TYPES)[number];
export const ARTIFACT_SCOPES = ['system', 'identity', 'pack', 'action', 'sensor'] as const;

export interface Pagination {
  page: number;
  per_page: number;
  total: number;
  total_pages: number;
}
export interface Page<T> {
  data: T[];
  pagination: Pagination;
}

export interface User {
  id: number;
  login: string;
  display_name: string | null;
}
export interface Me extends User {
  roles: string[];
}
export interface Tokens {
  access_token: string;
  refresh_token: string;
  token_type: 'Bearer';
  expires_in: number;
  user: User;
}

export interface ExecutionResult {
  exit_code: number | null;
  succeeded: boolean;
  duration_ms: number;
  stdout: string;
  stdout_truncated: boolean;
  stdout_log?: string;
  stderr?: string;
  stderr_truncated?: boolean;
  stderr_log?: string;
  data?: unknown;
  error?: string;
  timed_out?: boolean;
  cancelled?: boolean;
  signal?: string;
}

export interface Execution {
  id: number;
  action: number | null;
  action_ref: string;
  config: Record<string, unknown>;
  parent: number | null;
  enforcement: number | null;
  executor: number | null;
  worker: string | null;
  status: ExecutionStatus;
  result: ExecutionResult | null;
  timeout_seconds: number;
  attempt: number;
  waiting_reason: string | null;
  started_at: string | null;
  finished_at: string | null;
  created: string;
  updated: string;
}

export interface JsonSchemaProperty {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  secret?: boolean;
  format?: string;
  title?: string;
}

export interface ParamSchema {
  type?: string;
  properties?: Record<string, JsonSchemaProperty>;
  required?: string[];
}

export interface Action {
  id: number;
  ref: string;
  pack_ref: string;
  label: string;
  description: string | null;
  runtime: string;
  entrypoint: string;
  inline: boolean;
  param_schema: ParamSchema;
  output_format: string;
  timeout_seconds: number | null;
  enabled: boolean;
}

export interface Pack {
  ref: string;
  label: string;
  version: string;
  description: string | null;
}

export interface ArtifactSummary {
  id: number;
  ref: string;
  type: ArtifactType;
  name: string | null;
  content_type: string | null;
  size_bytes: number;
  latest_version: number | null;
  execution: number | null;
  created: string;
  updated: string;
}

export interface Artifact extends ArtifactSummary {
  scope: string;
  owner: string;
  description: string | null;
  retention_policy: string | null;
  retention_limit: number | null;
  data: unknown;
}

export interface ArtifactVersion {
  id: number;
  artifact: number;
  version: number;
  execution: number | null;
  content_type: string;
  size_bytes: number;
  sha256: string;
  created_by: string | null;
  created: string;
}

export interface ProgressEntry {
  iteration?: number;
  percent?: number;
  message?: string;
  timestamp?: string;
  [key: string]: unknown;
}

export interface FieldError {
  field: string;
  message: string;
}
