import {
  ACTION_REF_PATTERN,
  ARTIFACT_TYPES,
  normalizeParamSchema,
  parseDuration,
  RETENTION_POLICIES,
  type JsonSchemaObject,
} from '@attune/contracts';
import { conditionIssues, templateIssues } from './workflow-expressions';
import { workflowGraph } from './workflow-graph';
import {
  CANCELLATION_POLICIES,
  type CancellationPolicy,
  type ArtifactRetention,
  type PublishEntry,
  RETRY_BACKOFFS,
  type RetryBackoff,
  type RetryPolicy,
  type TaskArtifactDeclaration,
  type Transition,
  WHEN_FAILED,
  WHEN_SUCCEEDED,
  WHEN_TIMED_OUT,
  type WorkflowConfig,
  type WorkflowDefinition,
  type WorkflowProblem,
  type WorkflowTask,
} from './workflow-model';

/**
 * Reading a workflow definition: `parseWorkflowDefinition` turns the YAML content (already
 * parsed into an object) into the normalized model, and `validateWorkflowDefinition` adds the
 * checks that need the whole definition (references, `depends_on` cycles, expressions, joins).
 * Both collect every problem instead of stopping at the first, so one 422 lists them all.
 */

const TOP_LEVEL_KEYS = new Set([
  'parameters',
  'param_schema',
  'vars',
  'tasks',
  'output_map',
  'timeout',
  'cancellation_policy',
  'config',
]);
/** Descriptive keys of a standalone Attune workflow file: kept as metadata, never interpreted. */
const METADATA_KEYS = new Set(['version', 'name', 'ref', 'label', 'description', 'tags', 'enabled', 'output', 'output_schema', 'out_schema', 'metadata']);

const TASK_KEYS = new Set([
  'name',
  'action',
  'input',
  'when',
  'depends_on',
  'next',
  'on_success',
  'on_failure',
  'on_complete',
  'on_timeout',
  'decision',
  'publish',
  'join',
  'with_items',
  'concurrency',
  'retry',
  'timeout',
  'artifacts',
  'consumes',
  'type',
  'description',
  '__chart_meta__',
]);
/**
 * Task keys Attune knows but this platform does not implement. Named separately so the message
 * says "not supported" rather than "unknown": the author did nothing wrong for Attune.
 */
const ATTUNE_ONLY_TASK_KEYS = new Set([
  'iterate_cache',
  'batch_size',
  'wait_for',
  'delay',
  'permission_set_refs',
  'permission_set_ref',
  'trace_tag_template',
  'worker_selector',
  'worker_tolerations',
  'worker_affinity',
  'tasks',
]);
const TRANSITION_KEYS = new Set(['when', 'publish', 'do', '__chart_meta__']);
const RETRY_KEYS = new Set(['count', 'delay', 'backoff', 'max_delay']);
const CONFIG_KEYS = new Set(['artifact_retention', 'verify_checksums', 'artifact_compression']);
const ARTIFACT_KEYS = new Set(['path', 'name', 'type', 'required', 'when']);

/**
 * Task names are read in expressions as `task.<name>.result`, so they are plain names; names
 * the evaluator refuses (`__x`, `constructor`, `prototype`) could never be referenced.
 */
const TASK_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;
/** Variable names become keys of the run's variables: the same rule keeps prototype keys out. */
const VARIABLE_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const REFUSED_NAMES = new Set(['constructor', 'prototype']);

function validName(name: string, pattern: RegExp): boolean {
  return pattern.test(name) && !name.startsWith('__') && !REFUSED_NAMES.has(name);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

/** Collects problems for one place (the workflow, or one task), so each call names its field only. */
class Problems {
  constructor(
    private readonly out: WorkflowProblem[],
    private readonly task?: string,
  ) {}

  add(field: string, message: string): void {
    this.out.push(this.task === undefined ? { field, message } : { task: this.task, field, message });
  }

  /** How many problems so far: lets a list keep only the entries that added none. */
  get count(): number {
    return this.out.length;
  }
}

function positiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

/** A list of names, also written as one name (`do: cleanup`, `on_success: next_task`). */
function nameList(value: unknown, field: string, problems: Problems): string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list)) {
    problems.add(field, `must be a task name or a list of task names, not ${describe(value)}`);
    return [];
  }
  const names: string[] = [];
  list.forEach((item, i) => {
    if (typeof item === 'string' && item.trim()) names.push(item.trim());
    else problems.add(`${field}[${i}]`, `must be a task name, not ${describe(item)}`);
  });
  return names;
}

/** `publish` as a list of `{name: value}` (Attune's form; one entry may hold several) or one map. */
function publishList(value: unknown, field: string, problems: Problems): PublishEntry[] {
  if (value === undefined || value === null) return [];
  const maps = isObject(value) ? [value] : value;
  if (!Array.isArray(maps)) {
    problems.add(field, `must be a list of {name: value} or a map of names to values, not ${describe(value)}`);
    return [];
  }
  const entries: PublishEntry[] = [];
  maps.forEach((map, i) => {
    const at = isObject(value) ? field : `${field}[${i}]`;
    if (!isObject(map)) {
      problems.add(at, `must be a {name: value} map, not ${describe(map)}`);
      return;
    }
    for (const [name, v] of Object.entries(map)) {
      if (!validName(name, VARIABLE_NAME_PATTERN)) {
        problems.add(`${at}.${name}`, 'a variable name is letters, digits and "_", not starting with a digit or "__"');
      } else {
        entries.push({ name, value: v });
      }
    }
  });
  return entries;
}

function optionalCondition(value: unknown, field: string, problems: Problems): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || !value.trim()) {
    problems.add(field, `must be an expression such as "{{ succeeded() }}", not ${describe(value)}`);
    return null;
  }
  return value;
}

function transition(raw: unknown, field: string, problems: Problems): Transition | null {
  if (!isObject(raw)) {
    problems.add(field, `must be an object {when?, publish?, do?}, not ${describe(raw)}`);
    return null;
  }
  for (const key of Object.keys(raw)) {
    if (!TRANSITION_KEYS.has(key)) problems.add(`${field}.${key}`, `unknown key in a transition (known: when, publish, do)`);
  }
  return {
    when: optionalCondition(raw.when, `${field}.when`, problems),
    publish: publishList(raw.publish, `${field}.publish`, problems),
    do: raw.do === undefined || raw.do === null ? [] : nameList(raw.do, `${field}.do`, problems),
  };
}

/** `{{ outer and (inner) }}`: a condition under a shorthand (`on_success: [{when, do}]`). */
function both(outer: string, inner: string | null): string {
  if (inner === null) return outer;
  const strip = (text: string) => text.trim().replace(/^\{\{([\s\S]*)\}\}$/, '$1').trim();
  return `{{ ${strip(outer)} and (${strip(inner)}) }}`;
}

/** Where a transition's parts were written, so that a problem names the field as the YAML has it. */
interface WrittenAt {
  when: string;
  publish: string;
  do: string[];
}

/** Kept beside the model, not in it: the normalized definition is stored and served as it is. */
const writtenAt = new WeakMap<Transition, WrittenAt>();

function where(t: Transition, field: string, at: Partial<WrittenAt> = {}): WrittenAt {
  return { when: `${field}.when`, publish: `${field}.publish`, do: t.do.map((_, j) => `${field}.do[${j}]`), ...at };
}

function placed(t: Transition, field: string, at: Partial<WrittenAt> = {}): Transition {
  writtenAt.set(t, where(t, field, at));
  return t;
}

/** The fields a transition's problems name: as written, or under `next[i]` for one built in code. */
function fieldsOf(t: Transition, i: number): WrittenAt {
  return writtenAt.get(t) ?? where(t, `next[${i}]`);
}

/**
 * A shorthand (`on_success: name | [names]`). Each list entry may also be a transition object
 * (`{when, publish, do}`, as in Attune's install_packs): its `when` is combined with the
 * shorthand's. Names in a row share one transition, as `do: [a, b]` would.
 */
function shorthand(value: unknown, when: string | null, field: string, problems: Problems): Transition[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list)) {
    problems.add(field, `must be a task name or a list of task names, not ${describe(value)}`);
    return [];
  }
  const out: Transition[] = [];
  let names: string[] = [];
  let fields: string[] = [];
  const flush = () => {
    if (names.length) out.push(placed({ when, publish: [], do: names }, field, { do: fields }));
    names = [];
    fields = [];
  };
  list.forEach((item, i) => {
    if (typeof item === 'string' && item.trim()) {
      names.push(item.trim());
      fields.push(typeof value === 'string' ? field : `${field}[${i}]`);
    } else if (isObject(item)) {
      flush();
      const t = transition(item, `${field}[${i}]`, problems);
      if (t) out.push(placed({ ...t, when: when === null ? t.when : both(when, t.when) }, `${field}[${i}]`));
    } else {
      problems.add(`${field}[${i}]`, `must be a task name or a transition {when?, publish?, do?}, not ${describe(item)}`);
    }
  });
  flush();
  return out;
}

function transitions(raw: Record<string, unknown>, problems: Problems): Transition[] {
  const out: Transition[] = [];
  // Task-level `publish` is Attune's legacy form: it publishes when the task succeeds. First, so
  // later transitions' expressions see the values, as when Attune attaches it to the first one.
  if (raw.publish !== undefined && raw.publish !== null) {
    const publish = publishList(raw.publish, 'publish', problems);
    if (publish.length) out.push(placed({ when: WHEN_SUCCEEDED, publish, do: [] }, 'publish', { publish: 'publish' }));
  }
  if (raw.next !== undefined && raw.next !== null) {
    if (!Array.isArray(raw.next)) problems.add('next', `must be a list of transitions {when?, publish?, do?}, not ${describe(raw.next)}`);
    else
      raw.next.forEach((t, i) => {
        const parsed = transition(t, `next[${i}]`, problems);
        if (parsed) out.push(placed(parsed, `next[${i}]`));
      });
  }
  const shorthands: [string, string | null][] = [
    ['on_success', WHEN_SUCCEEDED],
    ['on_failure', WHEN_FAILED],
    ['on_complete', null],
    ['on_timeout', WHEN_TIMED_OUT],
  ];
  for (const [key, when] of shorthands) {
    if (raw[key] !== undefined && raw[key] !== null) out.push(...shorthand(raw[key], when, key, problems));
  }
  // Attune's legacy `decision: [{when, next: name}]`.
  if (raw.decision !== undefined && raw.decision !== null) {
    if (!Array.isArray(raw.decision)) problems.add('decision', `must be a list of {when, next}, not ${describe(raw.decision)}`);
    else
      raw.decision.forEach((d, i) => {
        if (!isObject(d) || typeof d.next !== 'string') {
          problems.add(`decision[${i}]`, 'must be {when, next: task name}');
          return;
        }
        const t = { when: optionalCondition(d.when, `decision[${i}].when`, problems), publish: [], do: [d.next] };
        out.push(placed(t, `decision[${i}]`, { do: [`decision[${i}].next`] }));
      });
  }
  return out;
}

function retryPolicy(value: unknown, problems: Problems): RetryPolicy | null {
  if (value === undefined || value === null) return null;
  if (!isObject(value)) {
    problems.add('retry', `must be an object {count, delay?, backoff?, max_delay?}, not ${describe(value)}`);
    return null;
  }
  for (const key of Object.keys(value)) {
    if (!RETRY_KEYS.has(key)) problems.add(`retry.${key}`, 'unknown key (known: count, delay, backoff, max_delay)');
  }
  const { count, delay = 0, backoff = 'constant', max_delay: maxDelay = null } = value;
  let ok = true;
  if (!(typeof count === 'number' && Number.isInteger(count) && count >= 0)) {
    problems.add('retry.count', `must be a whole number of retries, 0 or more, not ${describe(count)}`);
    ok = false;
  }
  if (!(typeof delay === 'number' && Number.isFinite(delay) && delay >= 0)) {
    problems.add('retry.delay', `must be a number of seconds, 0 or more, not ${describe(delay)}`);
    ok = false;
  }
  if (!(RETRY_BACKOFFS as readonly unknown[]).includes(backoff)) {
    problems.add('retry.backoff', `must be one of ${RETRY_BACKOFFS.join(', ')}, not ${describe(backoff)}`);
    ok = false;
  }
  if (maxDelay !== null && !(typeof maxDelay === 'number' && Number.isFinite(maxDelay) && maxDelay > 0)) {
    problems.add('retry.max_delay', `must be a positive number of seconds, not ${describe(maxDelay)}`);
    ok = false;
  }
  return ok ? { count: count as number, delay: delay as number, backoff: backoff as RetryBackoff, maxDelay: maxDelay as number | null } : null;
}

function artifactDeclarations(value: unknown, problems: Problems): TaskArtifactDeclaration[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    problems.add('artifacts', `must be a list of paths or {path, name?, type?, required?, when?}, not ${describe(value)}`);
    return [];
  }
  const out: TaskArtifactDeclaration[] = [];
  value.forEach((item, i) => {
    const field = `artifacts[${i}]`;
    const before = problems.count;
    if (typeof item === 'string') {
      if (!relativePath(item)) problems.add(field, 'must be a path relative to the work directory (no leading "/", no "..")');
    } else if (isObject(item)) {
      for (const key of Object.keys(item)) {
        if (!ARTIFACT_KEYS.has(key)) problems.add(`${field}.${key}`, 'unknown key (known: path, name, type, required, when)');
      }
      if (typeof item.path !== 'string' || !relativePath(item.path)) {
        problems.add(`${field}.path`, 'must be a path relative to the work directory (no leading "/", no "..")');
      }
      if (item.name !== undefined && (typeof item.name !== 'string' || !item.name.trim())) problems.add(`${field}.name`, 'must be a non-empty text');
      if (item.type !== undefined && !(ARTIFACT_TYPES as readonly unknown[]).includes(item.type)) {
        problems.add(`${field}.type`, `must be one of ${ARTIFACT_TYPES.join(', ')}`);
      }
      if (item.required !== undefined && typeof item.required !== 'boolean') problems.add(`${field}.required`, 'must be true or false');
      if (item.when !== undefined && item.when !== 'always' && item.when !== 'success') problems.add(`${field}.when`, 'must be always or success');
    } else {
      problems.add(field, `must be a path or {path, name?, type?, required?, when?}, not ${describe(item)}`);
    }
    if (problems.count === before) out.push(item as TaskArtifactDeclaration);
  });
  return out;
}

/** A relative path without `..` segments (globs allowed): the worker resolves it in the work directory. */
function relativePath(path: string): boolean {
  return path.trim() !== '' && !path.startsWith('/') && !path.includes('\\') && !path.includes('\0') && !path.split('/').includes('..');
}

function consumesList(value: unknown, problems: Problems): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    problems.add('consumes', `must be a list of artifact names (or "task.name"), not ${describe(value)}`);
    return [];
  }
  const out: string[] = [];
  value.forEach((item, i) => {
    if (typeof item === 'string' && item.trim()) out.push(item.trim());
    else problems.add(`consumes[${i}]`, `must be an artifact name or "task.name", not ${describe(item)}`);
  });
  return out;
}

function parseTask(raw: unknown, index: number, all: WorkflowProblem[]): WorkflowTask | null {
  if (!isObject(raw)) {
    all.push({ field: `tasks[${index}]`, message: `must be an object with name and action, not ${describe(raw)}` });
    return null;
  }
  const name = typeof raw.name === 'string' ? raw.name.trim() : '';
  if (!name || !validName(name, TASK_NAME_PATTERN)) {
    all.push({
      field: `tasks[${index}].name`,
      message: 'every task needs a name of letters, digits, "_" and "-" (starting with a letter or "_", not "__")',
    });
    return null;
  }
  const problems = new Problems(all, name);
  for (const key of Object.keys(raw)) {
    if (ATTUNE_ONLY_TASK_KEYS.has(key)) problems.add(key, `"${key}" is an Attune task feature this platform does not support`);
    else if (!TASK_KEYS.has(key)) problems.add(key, `unknown task key (known: ${[...TASK_KEYS].filter((k) => !k.startsWith('__')).join(', ')})`);
  }
  // Attune's task `type`: an action task (the default) or a sub-workflow, both written with
  // `action`; its legacy `parallel` type (inline task groups) is not supported.
  if (raw.type !== undefined && raw.type !== 'action' && raw.type !== 'workflow') {
    problems.add('type', raw.type === 'parallel' ? 'parallel tasks are not supported: fan out with next/do instead' : 'must be action or workflow');
  }

  const action = typeof raw.action === 'string' ? raw.action.trim() : '';
  if (!action) problems.add('action', 'every task needs an action (an action or workflow ref such as core.echo)');
  else if (!ACTION_REF_PATTERN.test(action)) problems.add('action', `"${action}" is not an action ref (pack.name)`);

  let input: Record<string, unknown> = {};
  if (raw.input !== undefined && raw.input !== null) {
    if (isObject(raw.input)) input = raw.input;
    else problems.add('input', `must be a map of parameter names to values, not ${describe(raw.input)}`);
  }

  const dependsOn = raw.depends_on === undefined || raw.depends_on === null ? [] : [...new Set(nameList(raw.depends_on, 'depends_on', problems))];

  let join: WorkflowTask['join'] = null;
  if (raw.join !== undefined && raw.join !== null) {
    if (raw.join === 'all' || positiveInteger(raw.join)) join = raw.join;
    else problems.add('join', `must be all or a positive whole number of inbound transitions, not ${describe(raw.join)}`);
  }

  let withItems: string | null = null;
  if (raw.with_items !== undefined && raw.with_items !== null) {
    if (typeof raw.with_items === 'string' && raw.with_items.trim()) withItems = raw.with_items;
    else problems.add('with_items', `must be an expression giving a list, such as "{{ parameters.hosts }}", not ${describe(raw.with_items)}`);
  }

  let concurrency = 1;
  if (raw.concurrency !== undefined && raw.concurrency !== null) {
    if (!positiveInteger(raw.concurrency)) problems.add('concurrency', `must be a whole number, 1 or more, not ${describe(raw.concurrency)}`);
    else if (raw.with_items === undefined || raw.with_items === null) problems.add('concurrency', 'applies only to a task with with_items');
    else concurrency = raw.concurrency;
  }

  let timeout: number | null = null;
  if (raw.timeout !== undefined && raw.timeout !== null) {
    if (positiveInteger(raw.timeout)) timeout = raw.timeout;
    else problems.add('timeout', `must be a positive whole number of seconds, not ${describe(raw.timeout)}`);
  }

  return {
    name,
    action,
    input,
    when: optionalCondition(raw.when, 'when', problems),
    dependsOn,
    next: transitions(raw, problems),
    join,
    withItems,
    concurrency,
    retry: retryPolicy(raw.retry, problems),
    timeout,
    artifacts: artifactDeclarations(raw.artifacts, problems),
    consumes: consumesList(raw.consumes, problems),
  };
}

/** `vars` as a map, or Attune's list of one-key maps (`- temp_dir: null`). */
function parseVars(value: unknown, problems: Problems): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  const maps = isObject(value) ? [value] : value;
  if (!Array.isArray(maps)) {
    problems.add('vars', `must be a map of names to initial values, not ${describe(value)}`);
    return {};
  }
  // Without a prototype: a name is only ever an own key.
  const vars = Object.create(null) as Record<string, unknown>;
  maps.forEach((map, i) => {
    if (!isObject(map)) {
      problems.add(`vars[${i}]`, `must be a {name: value} map, not ${describe(map)}`);
      return;
    }
    for (const [name, v] of Object.entries(map)) {
      if (validName(name, VARIABLE_NAME_PATTERN)) vars[name] = v;
      else problems.add(`vars.${name}`, 'a variable name is letters, digits and "_", not starting with a digit or "__"');
    }
  });
  return { ...vars };
}

function parseConfig(value: unknown, problems: Problems): WorkflowConfig {
  const config: WorkflowConfig = { artifactRetention: null, verifyChecksums: true, artifactCompression: false };
  if (value === undefined || value === null) return config;
  if (!isObject(value)) {
    problems.add('config', `must be an object {artifact_retention?, verify_checksums?, artifact_compression?}, not ${describe(value)}`);
    return config;
  }
  for (const key of Object.keys(value)) {
    if (!CONFIG_KEYS.has(key)) problems.add(`config.${key}`, 'unknown key (known: artifact_retention, verify_checksums, artifact_compression)');
  }
  for (const [key, prop] of [
    ['verify_checksums', 'verifyChecksums'],
    ['artifact_compression', 'artifactCompression'],
  ] as const) {
    if (value[key] === undefined || value[key] === null) continue;
    if (typeof value[key] === 'boolean') config[prop] = value[key];
    else problems.add(`config.${key}`, 'must be true or false');
  }
  const retention = value.artifact_retention;
  if (retention !== undefined && retention !== null) {
    if (typeof retention === 'string' && parseDuration(retention) !== undefined) {
      config.artifactRetention = retention;
    } else if (positiveInteger(retention)) {
      // A bare count is a number of versions (the seed's "retention 1").
      config.artifactRetention = { retention_policy: 'versions', retention_limit: retention };
    } else if (
      isObject(retention) &&
      (RETENTION_POLICIES as readonly unknown[]).includes(retention.retention_policy) &&
      positiveInteger(retention.retention_limit) &&
      Object.keys(retention).every((k) => k === 'retention_policy' || k === 'retention_limit')
    ) {
      config.artifactRetention = retention as ArtifactRetention;
    } else {
      problems.add(
        'config.artifact_retention',
        `must be a duration such as "30d", a number of versions, or {retention_policy: ${RETENTION_POLICIES.join('|')}, retention_limit: a positive whole number}`,
      );
    }
  }
  return config;
}

export interface ParsedWorkflow {
  /** The normalized definition; meaningful only when `problems` is empty. */
  definition: WorkflowDefinition;
  problems: WorkflowProblem[];
}

/**
 * Normalizes a definition and reports every problem of shape and value (types, unknown keys,
 * bad numbers). Cross-task rules are in `validateWorkflowDefinition`, which the api and the pack
 * loader should call instead.
 */
export function parseWorkflowDefinition(raw: unknown): ParsedWorkflow {
  const problems: WorkflowProblem[] = [];
  const top = new Problems(problems);
  const empty: WorkflowDefinition = {
    paramSchema: null,
    vars: {},
    tasks: [],
    outputMap: {},
    timeout: null,
    cancellationPolicy: 'allow_finish',
    config: { artifactRetention: null, verifyChecksums: true, artifactCompression: false },
    metadata: {},
  };
  if (!isObject(raw)) {
    top.add('definition', `must be an object (the workflow YAML's content), not ${describe(raw)}`);
    return { definition: empty, problems };
  }

  const metadata: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (METADATA_KEYS.has(key)) metadata[key] = value;
    else if (!TOP_LEVEL_KEYS.has(key)) top.add(key, `unknown workflow key (known: ${[...TOP_LEVEL_KEYS, ...METADATA_KEYS].join(', ')})`);
  }

  let paramSchema: JsonSchemaObject | null = null;
  if (raw.parameters !== undefined && raw.param_schema !== undefined) {
    top.add('param_schema', 'give parameters or param_schema, not both');
  } else {
    const key = raw.param_schema !== undefined ? 'param_schema' : 'parameters';
    if (raw[key] !== undefined && raw[key] !== null) {
      try {
        paramSchema = normalizeParamSchema(raw[key]);
      } catch (err) {
        top.add(key, (err as Error).message.replace(/^param_schema/, key));
      }
    }
  }

  const tasks: WorkflowTask[] = [];
  if (!Array.isArray(raw.tasks) || raw.tasks.length === 0) {
    top.add('tasks', 'must be a non-empty list of tasks');
  } else {
    const seen = new Set<string>();
    raw.tasks.forEach((t, i) => {
      const task = parseTask(t, i, problems);
      if (!task) return;
      if (seen.has(task.name)) problems.push({ task: task.name, field: 'name', message: `two tasks are named "${task.name}"` });
      seen.add(task.name);
      tasks.push(task);
    });
  }

  let outputMap: Record<string, unknown> = {};
  if (raw.output_map !== undefined && raw.output_map !== null) {
    if (isObject(raw.output_map)) outputMap = raw.output_map;
    else top.add('output_map', `must be a map of output names to values or templates, not ${describe(raw.output_map)}`);
  }

  let timeout: number | null = null;
  if (raw.timeout !== undefined && raw.timeout !== null) {
    if (positiveInteger(raw.timeout)) timeout = raw.timeout;
    else top.add('timeout', `must be a positive whole number of seconds, not ${describe(raw.timeout)}`);
  }

  let cancellationPolicy: CancellationPolicy = 'allow_finish';
  if (raw.cancellation_policy !== undefined && raw.cancellation_policy !== null) {
    if ((CANCELLATION_POLICIES as readonly unknown[]).includes(raw.cancellation_policy)) cancellationPolicy = raw.cancellation_policy as CancellationPolicy;
    else top.add('cancellation_policy', `must be one of ${CANCELLATION_POLICIES.join(', ')}, not ${describe(raw.cancellation_policy)}`);
  }

  return {
    definition: {
      paramSchema,
      vars: parseVars(raw.vars, top),
      tasks,
      outputMap,
      timeout,
      cancellationPolicy,
      config: parseConfig(raw.config, top),
      metadata,
    },
    problems,
  };
}

/** The path of the first cycle found through each task's `depends_on`, per distinct cycle. */
function dependencyCycles(tasks: WorkflowTask[]): string[][] {
  const byName = new Map(tasks.map((t) => [t.name, t]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const reported = new Set<string>();
  const visit = (name: string) => {
    state.set(name, 'visiting');
    stack.push(name);
    for (const dep of byName.get(name)?.dependsOn ?? []) {
      if (!byName.has(dep)) continue; // reported as an unknown name
      if (state.get(dep) === 'visiting') {
        const cycle = [...stack.slice(stack.indexOf(dep)), dep];
        const key = [...new Set(cycle)].sort().join('\0');
        if (!reported.has(key)) {
          reported.add(key);
          cycles.push(cycle);
        }
      } else if (!state.has(dep)) {
        visit(dep);
      }
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const t of tasks) if (!state.has(t.name)) visit(t.name);
  return cycles;
}

/**
 * Everything `parseWorkflowDefinition` checks, plus: every name in `do`/`depends_on` is a task,
 * `depends_on` has no cycle (transitions may loop, as in Attune: a loop is ended by its
 * conditions), every `{{ }}` compiles with the platform's evaluator, and a join can be met.
 * Whether the actions exist is the caller's check: see `workflowActionRefs`.
 */
export function validateWorkflowDefinition(raw: unknown): ParsedWorkflow {
  const { definition, problems } = parseWorkflowDefinition(raw);
  const names = new Set(definition.tasks.map((t) => t.name));

  for (const task of definition.tasks) {
    const at = new Problems(problems, task.name);
    task.dependsOn.forEach((dep, i) => {
      if (!names.has(dep)) at.add(`depends_on[${i}]`, `"${dep}" is not a task of this workflow`);
    });
    task.next.forEach((t, i) => {
      const field = fieldsOf(t, i);
      t.do.forEach((target, j) => {
        if (!names.has(target)) at.add(field.do[j] ?? `next[${i}].do[${j}]`, `"${target}" is not a task of this workflow`);
      });
      if (t.when !== null) for (const message of conditionIssues(t.when, true)) at.add(field.when, message);
      t.publish.forEach((p, j) => {
        for (const issue of templateIssues(p.value, true)) at.add(`${field.publish}[${j}].${p.name}${issue.path}`, issue.message);
      });
    });
    if (task.when !== null) for (const message of conditionIssues(task.when, false)) at.add('when', message);
    if (task.withItems !== null) for (const message of conditionIssues(task.withItems, false)) at.add('with_items', message);
    for (const issue of templateIssues(task.input, false, 'input')) at.add(issue.path, issue.message);
  }
  for (const cycle of dependencyCycles(definition.tasks)) {
    problems.push({ task: cycle[0], field: 'depends_on', message: `depends_on forms a cycle: ${cycle.join(' → ')}` });
  }
  for (const issue of templateIssues(definition.outputMap, false, 'output_map')) problems.push({ field: issue.path, message: issue.message });

  const { inboundTransitions, startTasks } = workflowGraph(definition);
  // A run starts with the tasks nothing leads to: without one, it would end at once having run nothing.
  if (definition.tasks.length && !startTasks.length) {
    problems.push({ field: 'tasks', message: 'no task starts the workflow: every task is the target of another task\'s `next` or `depends_on`' });
  }
  // A join waits for inbound transitions: more than can ever arrive would stall the run.
  for (const task of definition.tasks) {
    if (task.join === null) continue;
    const inbound = inboundTransitions[task.name] ?? 0;
    if (inbound === 0) problems.push({ task: task.name, field: 'join', message: 'no transition leads to this task, so there is nothing to join' });
    else if (typeof task.join === 'number' && task.join > inbound) {
      problems.push({ task: task.name, field: 'join', message: `waits for ${task.join} inbound transitions but only ${inbound} task(s) lead here` });
    }
  }
  return { definition, problems };
}

/** Every action (or workflow) ref the definition runs, sorted, once each: the caller checks they exist. */
export function workflowActionRefs(definition: WorkflowDefinition): string[] {
  return [...new Set(definition.tasks.map((t) => t.action).filter((a) => a !== ''))].sort();
}
