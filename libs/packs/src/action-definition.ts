import {
  type ActionRuntime,
  ACTION_NAME_PATTERN,
  type ArtifactDeclaration,
  parseArtifactDeclarations,
  ACTION_REF_PATTERN,
  type JsonSchemaObject,
  normalizeParamSchema,
  normalizeRuntime,
  OUTPUT_FORMATS,
  type OutputFormat,
  linearRegExpEngine,
  type Runtime,
  schemaPatternProblems,
  WORKER_LOST_POLICIES,
  WORKFLOW_RUNTIME,
  type WorkerLostPolicy,
} from '@attune/contracts';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { posix } from 'node:path';

// ajv-formats is CommonJS with a default export; bundlers and jest disagree on where it lands.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;
// The same regular expression engine as the validators that run these schemas (RE2), so a
// pattern they could not run is refused here, when the action is saved.
const schemaChecker = addFormats(new Ajv({ allErrors: true, strict: false, code: { regExp: linearRegExpEngine } }));

export interface FieldError {
  field: string;
  message: string;
}

/** An action as the registry stores it, whatever form it was written in. */
export interface ActionDefinition {
  ref: string;
  label: string;
  description: string | null;
  runtime: ActionRuntime;
  /**
   * A path relative to the pack root, or inline shell text (`entrypointInline`). For a workflow,
   * the workflow file (`actions/workflows/<name>.workflow.yaml`).
   */
  entrypoint: string;
  entrypointInline: boolean;
  paramSchema: JsonSchemaObject;
  outSchema: JsonSchemaObject | null;
  outputFormat: OutputFormat;
  timeoutSeconds: number | null;
  enabled: boolean;
  onWorkerLost?: WorkerLostPolicy;
  /** Labels for search (`tags` in the YAML); stored with the action. */
  tags?: string[];
  /** A workflow's definition as written (the workflow file's content), filled by the pack reader. */
  workflowDefinition?: Record<string, unknown> | null;
  workflowVersion?: string | null;
  /** Files kept after each run (the contract's "Task artifacts"); empty when none are declared. */
  artifacts: ArtifactDeclaration[];
}

export interface ActionContext {
  packRef: string;
  /**
   * Regular files of the pack (paths relative to its root), when the pack's code is known
   * (an uploaded archive). Script entrypoints must then be one of them.
   */
  files?: ReadonlySet<string>;
  /** Prefix for field names in errors (e.g. the YAML file name). */
  source?: string;
  /**
   * Whether runtime `workflow` is accepted (with `workflow_file`): only where the workflow file
   * can be read, that is in a pack. Elsewhere this message explains where workflows are made.
   */
  workflows?: true | { refusal: string };
}

/** Largest action timeout accepted at registration: a week. */
export const MAX_ACTION_TIMEOUT_SECONDS = 7 * 24 * 3600;

// Runner names used by packs written for StackStorm-style platforms.
const RUNTIME_ALIASES: Record<string, Runtime> = {
  'python-script': 'python',
  python3: 'python',
  'local-shell-script': 'shell',
  'local-shell-cmd': 'shell',
  sh: 'shell',
  bash: 'shell',
  nodejs: 'node',
  'node-script': 'node',
  javascript: 'node',
};

/** `workflow` (also `core.workflow`, as Attune's runtime_ref may name it). */
export function isWorkflowRuntime(value: unknown): boolean {
  return typeof value === 'string' && value.trim().toLowerCase().replace(/^core\./, '') === WORKFLOW_RUNTIME;
}

/**
 * A workflow file named by an action YAML (`workflow_file`), relative to `actions/` as in
 * Attune (`workflows/deploy.workflow.yaml`), or already from the pack root
 * (`actions/workflows/…`). Answers the pack-relative path, or undefined when it would leave
 * `actions/`.
 */
export function workflowFilePath(value: string): string | undefined {
  if (!value || value.startsWith('/') || value.includes('\\') || value.includes('\0')) return undefined;
  const normalized = posix.normalize(value.startsWith('actions/') ? value : `actions/${value}`);
  if (!normalized.startsWith('actions/') || normalized.split('/').includes('..')) return undefined;
  return normalized;
}

export function resolveRuntime(value: string): Runtime | undefined {
  return normalizeRuntime(value) ?? RUNTIME_ALIASES[value.trim().toLowerCase().replace(/^core\./, '')];
}

/**
 * The runtime of an action that names none, as Attune infers it: from the entrypoint's
 * extension (`.py` python, `.js`/`.mjs`/`.cjs` node, anything else, inline text included, shell).
 */
export function inferRuntime(entrypoint: string): Runtime {
  const ext = /\.([A-Za-z0-9]+)$/.exec(entrypoint.trim())?.[1]?.toLowerCase();
  if (ext === 'py') return 'python';
  if (ext === 'js' || ext === 'mjs' || ext === 'cjs') return 'node';
  return 'shell';
}

/**
 * Whether a shell entrypoint names a script file rather than being script text: no
 * whitespace, and a file extension (`run.sh`, `scripts/deploy.bash`). `exit 0` or `true` are text.
 */
export function looksLikeScriptPath(entrypoint: string): boolean {
  return /^[A-Za-z0-9_.][A-Za-z0-9_./-]*\.[A-Za-z0-9]+$/.test(entrypoint) && !entrypoint.includes('..');
}

/** A pack-relative script path, normalised, or undefined when it could leave the pack. */
export function normalizeScriptPath(entrypoint: string): string | undefined {
  if (!entrypoint || entrypoint.startsWith('/') || entrypoint.includes('\\') || entrypoint.includes('\0')) return undefined;
  const normalized = posix.normalize(entrypoint);
  if (normalized === '.' || normalized === '..' || normalized.startsWith('../')) return undefined;
  return normalized;
}

/** Answers why `schema` is not a usable JSON Schema, or undefined when it is. */
export function jsonSchemaProblem(schema: object): string | undefined {
  const patterns = schemaPatternProblems(schema);
  if (patterns.length) return `${patterns[0].field} ${patterns[0].message}`;
  try {
    schemaChecker.compile(schema);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

function pick(raw: Record<string, unknown>, ...keys: string[]): unknown {
  for (const k of keys) if (raw[k] !== undefined) return raw[k];
  return undefined;
}

const KNOWN_KEYS = new Set([
  'ref', 'name', 'pack_ref', 'label', 'description', 'runtime', 'runner_type', 'runtime_ref', 'entrypoint', 'entry_point',
  'param_schema', 'parameters', 'out_schema', 'output_schema', 'output_format', 'timeout_seconds', 'timeout',
  'enabled', 'on_worker_lost', 'workflow_file', 'tags', 'version', 'artifacts',
]);

/**
 * Builds an action from its written form: a pack's action YAML, or a request body. Accepts the
 * contract's names and their aliases (`runner_type`, `entry_point`, `parameters`…). Answers
 * every problem at once, plus the keys it did not recognise.
 */
export function buildActionDefinition(
  raw: Record<string, unknown>,
  ctx: ActionContext,
): { action?: ActionDefinition; errors: FieldError[]; unknownKeys: string[] } {
  const errors: FieldError[] = [];
  const at = (field: string) => (ctx.source ? `${ctx.source}: ${field}` : field);
  const fail = (field: string, message: string) => errors.push({ field: at(field), message });
  const unknownKeys = Object.keys(raw).filter((k) => !KNOWN_KEYS.has(k));

  let ref: string | undefined;
  const refValue = raw.ref;
  const name = raw.name;
  if (refValue !== undefined) {
    if (typeof refValue !== 'string' || !ACTION_REF_PATTERN.test(refValue)) fail('ref', 'must look like pack.name (letters, digits, _ and -)');
    else if (refValue.split('.')[0] !== ctx.packRef) fail('ref', `must belong to pack "${ctx.packRef}"`);
    else ref = refValue;
  } else if (name !== undefined) {
    if (typeof name !== 'string' || !ACTION_NAME_PATTERN.test(name)) fail('name', 'must be letters, digits, _ and -');
    else ref = `${ctx.packRef}.${name}`;
  } else {
    fail('ref', 'is required (or name)');
  }
  const packRef = raw.pack_ref;
  if (packRef !== undefined && packRef !== ctx.packRef) fail('pack_ref', `must be "${ctx.packRef}"`);

  const label = raw.label ?? (ref ? ref.split('.')[1] : undefined);
  if (label !== undefined && (typeof label !== 'string' || !label.trim() || label.length > 255)) fail('label', 'must be a non-empty string of at most 255 characters');
  const description = raw.description ?? null;
  if (description !== null && typeof description !== 'string') fail('description', 'must be a string');

  let runtime: ActionRuntime | undefined;
  const entryValue = pick(raw, 'entrypoint', 'entry_point');
  // Attune's runtime_ref (core.shell, core.python…) names the runtime first; without any, it is inferred.
  const runtimeField = raw.runtime_ref !== undefined ? 'runtime_ref' : 'runtime';
  const runtimeValue = pick(raw, 'runtime_ref', 'runtime', 'runner_type');
  const workflowFile = raw.workflow_file;
  if (runtimeValue === undefined) {
    if (workflowFile !== undefined) runtime = WORKFLOW_RUNTIME;
    else if (typeof entryValue === 'string' && entryValue.trim()) runtime = inferRuntime(entryValue);
  } else if (isWorkflowRuntime(runtimeValue)) {
    if (ctx.workflows === true) runtime = WORKFLOW_RUNTIME;
    else fail(runtimeField, ctx.workflows?.refusal ?? 'a workflow is defined by a workflow file in a pack');
  } else if (typeof runtimeValue !== 'string' || !(runtime = resolveRuntime(runtimeValue))) {
    fail(runtimeField, `"${String(runtimeValue)}" is not a runtime: use shell, python or node (or core.shell, core.python, core.node)`);
  }
  if (workflowFile !== undefined && runtime !== undefined && runtime !== WORKFLOW_RUNTIME) {
    fail('workflow_file', `is only for workflow actions (runner_type: workflow), not ${runtime}`);
  }

  let entrypoint: string | undefined;
  let inline = false;
  if (runtime === WORKFLOW_RUNTIME) {
    if (ctx.workflows !== true) fail(runtimeField, (ctx.workflows && ctx.workflows.refusal) || 'a workflow is defined by a workflow file in a pack');
    else {
      const resolved = resolveWorkflowFile(workflowFile ?? entryValue, ctx);
      if ('error' in resolved) fail('workflow_file', resolved.error);
      else entrypoint = resolved.path;
    }
  } else if (typeof entryValue !== 'string' || !entryValue.trim()) fail('entrypoint', 'is required: a script path in the pack, or for shell the script text');
  else if (runtime) {
    const resolved = resolveEntrypoint(entryValue, runtime, ctx);
    if ('error' in resolved) fail('entrypoint', resolved.error);
    else ({ entrypoint, inline } = resolved);
  }

  let paramSchema: JsonSchemaObject | undefined;
  try {
    paramSchema = normalizeParamSchema(pick(raw, 'param_schema', 'parameters'));
    const problem = jsonSchemaProblem(paramSchema);
    if (problem) {
      fail('param_schema', `is not a valid JSON Schema: ${problem}`);
      paramSchema = undefined;
    }
  } catch (err) {
    fail('param_schema', (err as Error).message);
  }

  let outSchema: JsonSchemaObject | null = null;
  const outValue = pick(raw, 'out_schema', 'output_schema');
  if (outValue !== undefined && outValue !== null) {
    if (typeof outValue !== 'object' || Array.isArray(outValue)) fail('out_schema', 'must be a JSON Schema object');
    else {
      const problem = jsonSchemaProblem(outValue);
      if (problem) fail('out_schema', `is not a valid JSON Schema: ${problem}`);
      else outSchema = outValue as JsonSchemaObject;
    }
  }

  const outputFormat = raw.output_format ?? 'text';
  if (!(OUTPUT_FORMATS as readonly unknown[]).includes(outputFormat)) fail('output_format', `must be one of ${OUTPUT_FORMATS.join(', ')}`);

  const timeout = pick(raw, 'timeout_seconds', 'timeout') ?? null;
  if (timeout !== null && !(Number.isInteger(timeout) && (timeout as number) >= 1 && (timeout as number) <= MAX_ACTION_TIMEOUT_SECONDS)) {
    fail('timeout_seconds', `must be a whole number of seconds from 1 to ${MAX_ACTION_TIMEOUT_SECONDS}`);
  }
  const enabled = raw.enabled ?? true;
  if (typeof enabled !== 'boolean') fail('enabled', 'must be true or false');
  const onWorkerLost = raw.on_worker_lost;
  if (onWorkerLost !== undefined && !(WORKER_LOST_POLICIES as readonly unknown[]).includes(onWorkerLost)) {
    fail('on_worker_lost', `must be one of ${WORKER_LOST_POLICIES.join(', ')}`);
  }

  const artifacts = parseArtifactDeclarations(raw.artifacts);
  for (const problem of artifacts.problems) fail(problem.field, problem.message);
  let tags: string[] = [];
  if (raw.tags !== undefined && raw.tags !== null) {
    if (!Array.isArray(raw.tags) || raw.tags.some((t) => typeof t !== 'string' || !t.trim() || t.length > 100)) {
      fail('tags', 'must be a list of non-empty strings of at most 100 characters');
    } else tags = [...new Set(raw.tags.map((t: string) => t.trim()))];
  }
  let version: string | null = null;
  if (raw.version !== undefined && raw.version !== null) {
    if ((typeof raw.version !== 'string' && typeof raw.version !== 'number') || !String(raw.version).trim() || String(raw.version).length > 64) {
      fail('version', 'must be a version string such as 1.0.0');
    } else version = String(raw.version).trim();
  }

  if (errors.length || !ref || !runtime || entrypoint === undefined || !paramSchema) return { errors, unknownKeys };
  return {
    errors,
    unknownKeys,
    action: {
      ref,
      label: (label as string).trim(),
      description: description as string | null,
      runtime,
      entrypoint,
      entrypointInline: inline,
      paramSchema,
      outSchema,
      outputFormat: outputFormat as OutputFormat,
      timeoutSeconds: timeout as number | null,
      enabled: enabled as boolean,
      ...(onWorkerLost !== undefined ? { onWorkerLost: onWorkerLost as WorkerLostPolicy } : {}),
      artifacts: artifacts.declarations,
      ...(tags.length ? { tags } : {}),
      ...(runtime === WORKFLOW_RUNTIME ? { workflowVersion: version } : {}),
    },
  };
}

/** The workflow file of a workflow action: under `actions/`, and a file of the pack when the pack's files are known. */
function resolveWorkflowFile(value: unknown, ctx: ActionContext): { path: string } | { error: string } {
  if (typeof value !== 'string' || !value.trim()) return { error: 'is required for a workflow: the workflow YAML, relative to actions/ (workflows/<name>.workflow.yaml)' };
  const path = workflowFilePath(value.trim());
  if (!path) return { error: `"${value}" is not a path inside the pack's actions/ directory` };
  if (!/\.ya?ml$/.test(path)) return { error: `"${value}" must be a YAML file (.yaml or .yml)` };
  if (ctx.files && !ctx.files.has(path)) return { error: `"${value}" is not a file in pack "${ctx.packRef}" (looked for ${path})` };
  return { path };
}

/**
 * A script entrypoint is a path relative to the pack root. Like other automation platforms,
 * a bare name may also be relative to `actions/` (where the action's YAML lives).
 */
function resolveEntrypoint(value: string, runtime: Runtime, ctx: ActionContext): { entrypoint: string; inline: boolean } | { error: string } {
  const isPath = runtime !== 'shell' || looksLikeScriptPath(value);
  if (!isPath) return { entrypoint: value, inline: true };
  const path = normalizeScriptPath(value);
  if (!path) return { error: `"${value}" is not a path inside the pack` };
  if (!ctx.files) return { entrypoint: path, inline: false };
  for (const candidate of [path, `actions/${path}`]) {
    if (ctx.files.has(candidate)) return { entrypoint: candidate, inline: false };
  }
  return { error: `"${value}" is not a file in pack "${ctx.packRef}"` };
}
