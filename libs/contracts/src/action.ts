export const RUNTIMES = ['shell', 'python', 'node'] as const;
export type Runtime = (typeof RUNTIMES)[number];

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
}
