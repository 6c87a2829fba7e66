import type { ArtifactType, JsonSchemaObject, RetentionPolicy } from '@attune/contracts';

/**
 * The normalized form of a workflow definition (Attune's workflow YAML). Every shorthand the
 * YAML allows is resolved here, once, so the engine, the api and the UI read one shape:
 * `on_success`/`on_failure`/`on_complete`/`on_timeout`/`decision` and task-level `publish`
 * become `next` transitions, `publish` is always an ordered list, `do` always a list.
 *
 * Property names are camelCase like the rest of the TypeScript tree; problems name the
 * fields as the author wrote them (`retry.max_delay`), since that is what a user fixes.
 */

export const CANCELLATION_POLICIES = ['allow_finish', 'cancel_running'] as const;
export type CancellationPolicy = (typeof CANCELLATION_POLICIES)[number];

export const RETRY_BACKOFFS = ['constant', 'linear', 'exponential'] as const;
export type RetryBackoff = (typeof RETRY_BACKOFFS)[number];

/** The `when` each shorthand stands for (the text Attune writes when it normalizes them). */
export const WHEN_SUCCEEDED = '{{ succeeded() }}';
export const WHEN_FAILED = '{{ failed() }}';
export const WHEN_TIMED_OUT = '{{ timed_out() }}';

export interface PublishEntry {
  /** A workflow variable name (readable later as `vars.<name>` / `workflow.<name>`). */
  name: string;
  /** A literal or a template; a whole `{{ expr }}` keeps the value's type when rendered. */
  value: unknown;
}

/**
 * One entry of a task's `next`. Evaluated in order when the task ends; every transition whose
 * `when` holds fires (Attune's rule), publishing first and then scheduling its `do` tasks.
 */
export interface Transition {
  /** A condition (`{{ … }}` or a bare expression); null means always. */
  when: string | null;
  publish: PublishEntry[];
  do: string[];
}

export interface RetryPolicy {
  /** Further attempts after the first one fails: `count: 2` means at most three runs. */
  count: number;
  /** Seconds before the first retry. */
  delay: number;
  backoff: RetryBackoff;
  /** Upper bound in seconds for a growing delay, or null for none. */
  maxDelay: number | null;
}

/** A declared output file, as the contract's "Task artifacts" section describes it. */
export type TaskArtifactDeclaration =
  | string
  | { path: string; name?: string; type?: ArtifactType; required?: boolean; when?: 'always' | 'success' };

export interface WorkflowTask {
  name: string;
  /** An action or workflow ref (`pack.name`); its existence is checked by the caller. */
  action: string;
  input: Record<string, unknown>;
  /** A guard evaluated before the task runs; null means always run. */
  when: string | null;
  /** The task runs once every one of these has succeeded. */
  dependsOn: string[];
  next: Transition[];
  /** `all` or how many inbound transitions to wait for; null: the first inbound transition starts it. */
  join: 'all' | number | null;
  /** An expression giving the list of items (one child execution per item), or null. */
  withItems: string | null;
  /** At most this many item children at once (default 1, as in Attune). */
  concurrency: number;
  retry: RetryPolicy | null;
  /** Seconds a single run of the task may take, or null for the action's own limit. */
  timeout: number | null;
  /** Kept as declared; shapes are checked. */
  artifacts: TaskArtifactDeclaration[];
  /** Artifact names (or `task.name`) of this run to download before the task starts. */
  consumes: string[];
}

export type ArtifactRetention = string | { retention_policy: RetentionPolicy; retention_limit: number };

export interface WorkflowConfig {
  /** A duration (`30d`) or `{retention_policy, retention_limit}` for the run's artifacts; null: defaults. */
  artifactRetention: ArtifactRetention | null;
  verifyChecksums: boolean;
  artifactCompression: boolean;
}

export interface WorkflowDefinition {
  /** From `parameters` (Attune's flat form) or `param_schema`, as a JSON schema; null when absent. */
  paramSchema: JsonSchemaObject | null;
  vars: Record<string, unknown>;
  tasks: WorkflowTask[];
  outputMap: Record<string, unknown>;
  /** Seconds for the whole run, or null for no limit. */
  timeout: number | null;
  cancellationPolicy: CancellationPolicy;
  config: WorkflowConfig;
  /**
   * Descriptive keys a standalone Attune workflow file may carry (`version`, `ref`, `label`,
   * `description`, `tags`, `output`, …). Kept, not interpreted: the action record is authoritative.
   */
  metadata: Record<string, unknown>;
}

/** One reason a definition is refused; `task` and `field` let the api answer 422 precisely. */
export interface WorkflowProblem {
  task?: string;
  /** The field as written in the YAML, relative to the task when `task` is set (`next[1].do[0]`). */
  field: string;
  message: string;
}

export interface WorkflowEdge {
  from: string;
  to: string;
  /** The transition's condition; null for an unconditional one. */
  when: string | null;
  /** `transition` (from `next` and its shorthands) or `depends_on`. */
  kind: 'transition' | 'depends_on';
}

export interface WorkflowGraph {
  nodes: string[];
  edges: WorkflowEdge[];
  /** Tasks no transition or dependency from another task reaches: they start with the workflow. */
  startTasks: string[];
  /**
   * For each task, how many distinct tasks have a transition into it. `join: all` waits for that
   * many; a count waits for that many. `depends_on` is not counted: it has its own rule.
   */
  inboundTransitions: Record<string, number>;
}
