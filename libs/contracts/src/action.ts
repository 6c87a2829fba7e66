export const RUNTIMES = ['shell', 'python', 'node'] as const;
export type Runtime = (typeof RUNTIMES)[number];

/**
 * What an action may be: a script in one of the worker runtimes, or a workflow, which the
 * executor runs itself as a parent execution whose tasks are child executions. Workers only
 * ever see RUNTIMES.
 */
export const WORKFLOW_RUNTIME = 'workflow' as const;
export type ActionRuntime = Runtime | typeof WORKFLOW_RUNTIME;
export const ACTION_RUNTIMES: readonly ActionRuntime[] = [...RUNTIMES, WORKFLOW_RUNTIME];

export const OUTPUT_FORMATS = ['text', 'json', 'jsonl', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Accepts `shell`, `core.shell`, `Shell`… and answers the canonical runtime, or undefined. */
export function normalizeRuntime(value: string): Runtime | undefined {
  const name = value.trim().toLowerCase().replace(/^core\./, '');
  return (RUNTIMES as readonly string[]).includes(name) ? (name as Runtime) : undefined;
}

/**
 * What happens to an execution whose worker is lost mid-run (killed, host gone):
 * `abandon` marks it `abandoned` (the safe default: the action may have had effects);
 * `retry` dispatches it again to another worker, at most `max_attempts` times in all.
 */
export const WORKER_LOST_POLICIES = ['abandon', 'retry'] as const;
export type WorkerLostPolicy = (typeof WORKER_LOST_POLICIES)[number];

/** A JSON Schema object as stored with an action (`{type: object, properties, required}`). */
export interface JsonSchemaObject {
  type: 'object';
  properties?: Record<string, Record<string, unknown>>;
  required?: string[];
  additionalProperties?: boolean;
  [key: string]: unknown;
}

/**
 * What a worker needs to know about an action to run it. The executor copies it into the
 * dispatch message, so a worker never reads the database and an action edited mid-flight
 * does not change a run already dispatched.
 */
export interface ActionSnapshot {
  ref: string;
  pack_ref: string;
  runtime: Runtime;
  /** A script path relative to the pack directory, or inline script text for `shell`. */
  entrypoint: string;
  /** True when `entrypoint` is inline script text rather than a file path. */
  inline: boolean;
  output_format: OutputFormat;
  /** Names of parameters whose values must not be exported as environment variables. */
  secret_parameters: string[];
  /** What to do when the worker running it is lost; `abandon` when absent. */
  on_worker_lost?: WorkerLostPolicy;
  /** Bytes kept of each of stdout and stderr; past it the log ends with a truncation marker. */
  max_log_bytes?: number;
  /**
   * SHA-256 (lowercase hex) of the pack archive the script comes from, as registered when the
   * execution was scheduled. The worker fetches and runs exactly that archive. Absent for inline
   * actions and for packs that were never uploaded (their scripts live in ATTUNE_PACKS_DIR).
   */
  pack_digest?: string;
}

/** A pack ref: lowercase letters, digits, `_` and `-`. */
export const PACK_REF_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** An action's name inside its pack. */
export const ACTION_NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,127}$/;
/** An action ref: `pack.name`. */
export const ACTION_REF_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}\.[A-Za-z0-9_][A-Za-z0-9_-]{0,127}$/;
/** How pack archives are named: the SHA-256 of the `.tar.gz`, lowercase hex. */
export const PACK_DIGEST_PATTERN = /^[0-9a-f]{64}$/;

/**
 * The name of a set of runtimes as it appears in worker queue names and dispatch routing keys:
 * sorted and joined by `-` (`node-python-shell`). Workers with the same set share one queue.
 */
export function runtimeSetKey(runtimes: readonly string[]): string {
  const set = [...new Set(runtimes)].sort();
  if (!set.length) throw new Error('a worker needs at least one runtime');
  return set.join('-');
}
