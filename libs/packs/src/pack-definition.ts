import { PACK_REF_PATTERN, WORKFLOW_RUNTIME } from '@attune/contracts';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { type ActionDefinition, buildActionDefinition, type FieldError, MAX_ACTION_TIMEOUT_SECONDS } from './action-definition';
import { checkWorkflowDefinition, unknownActionErrors, type WorkflowActionRef, workflowParamSchema } from './workflow-action';

export interface PackMetadata {
  ref: string;
  label: string;
  version: string;
  description: string | null;
  /** What Attune packs declare besides the basics, kept as written (absent: empty). */
  confSchema: Record<string, unknown>;
  config: Record<string, unknown>;
  meta: Record<string, unknown>;
  tags: string[];
  runtimeDeps: string[];
  dependencies: string[];
}

export interface PackDefinition {
  pack: PackMetadata;
  actions: ActionDefinition[];
  /** Things that were accepted but probably not meant (keys nobody reads). */
  warnings: string[];
}

/** A pack directory that does not describe a valid pack; `details` lists every problem. */
export class PackDefinitionError extends Error {
  constructor(
    message: string,
    readonly details: FieldError[],
  ) {
    super(message);
    this.name = 'PackDefinitionError';
  }
}

const MAX_YAML_BYTES = 1024 * 1024;
const PACK_KEYS = new Set(['ref', 'name', 'label', 'version', 'description', 'conf_schema', 'config', 'meta', 'tags', 'runtime_deps', 'dependencies']);

const OBJECT_ATTRIBUTES = [['conf_schema', 'confSchema'], ['config', 'config'], ['meta', 'meta']] as const;
const LIST_ATTRIBUTES = [['tags', 'tags'], ['runtime_deps', 'runtimeDeps'], ['dependencies', 'dependencies']] as const;
type PackAttributes = Pick<PackMetadata, 'confSchema' | 'config' | 'meta' | 'tags' | 'runtimeDeps' | 'dependencies'>;

/**
 * Attune's pack attributes (`conf_schema`, `config`, `meta`: mappings; `tags`, `runtime_deps`,
 * `dependencies`: lists of strings), checked for shape only and otherwise kept as written.
 * `fail` receives the key and what is wrong with it.
 */
export function packAttributes(doc: Record<string, unknown>, fail: (key: string, message: string) => void): PackAttributes {
  const out: PackAttributes = { confSchema: {}, config: {}, meta: {}, tags: [], runtimeDeps: [], dependencies: [] };
  for (const [key, field] of OBJECT_ATTRIBUTES) {
    const v = doc[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'object' || Array.isArray(v)) fail(key, 'must be a mapping');
    else out[field] = v as Record<string, unknown>;
  }
  for (const [key, field] of LIST_ATTRIBUTES) {
    const v = doc[key];
    if (v === undefined || v === null) continue;
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) fail(key, 'must be a list of strings');
    else out[field] = v as string[];
  }
  return out;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * Where the pack is inside an extracted archive: its root holds `pack.yaml`, either at the top
 * (`tar -C mypack -czf mypack.tar.gz .`) or in the one directory the archive contains
 * (`tar -czf mypack.tar.gz mypack/`). Answers the path relative to `dir` ('' for the top).
 */
export async function findPackRoot(dir: string): Promise<string> {
  if (await isFile(join(dir, 'pack.yaml'))) return '';
  const names = await readdir(dir);
  if (names.length === 1 && (await lstat(join(dir, names[0]))).isDirectory() && (await isFile(join(dir, names[0], 'pack.yaml')))) {
    return names[0];
  }
  throw new PackDefinitionError('the archive has no pack.yaml', [
    { field: 'pack.yaml', message: 'missing: put pack.yaml at the top of the archive or in its only directory' },
  ]);
}

async function readYaml(path: string, field: string, errors: FieldError[]): Promise<Record<string, unknown> | undefined> {
  const st = await lstat(path);
  if (!st.isFile()) {
    errors.push({ field, message: 'must be a regular file' });
    return undefined;
  }
  if (st.size > MAX_YAML_BYTES) {
    errors.push({ field, message: `is larger than ${MAX_YAML_BYTES} bytes` });
    return undefined;
  }
  let doc: unknown;
  try {
    // Aliases are capped so a "billion laughs" document cannot blow up in memory.
    doc = parseYaml(await readFile(path, 'utf8'), { maxAliasCount: 100, uniqueKeys: true });
  } catch (err) {
    errors.push({ field, message: `is not valid YAML: ${(err as Error).message.split('\n')[0]}` });
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    errors.push({ field, message: 'must be a YAML mapping' });
    return undefined;
  }
  return doc as Record<string, unknown>;
}

function packMetadata(doc: Record<string, unknown>, errors: FieldError[]): PackMetadata | undefined {
  const fail = (f: string, message: string) => errors.push({ field: `pack.yaml: ${f}`, message });
  const ref = doc.ref ?? doc.name;
  if (typeof ref !== 'string' || !PACK_REF_PATTERN.test(ref)) {
    fail('ref', 'is required: lowercase letters, digits, _ and - (at most 64)');
  }
  // YAML reads `version: 1.0` as a number; a version is text.
  const version = typeof doc.version === 'number' ? String(doc.version) : doc.version;
  if (typeof version !== 'string' || !version.trim() || version.length > 64) fail('version', 'is required: a version string such as 1.0.0');
  const label = doc.label ?? ref;
  if (typeof label !== 'string' || !label.trim() || label.length > 255) fail('label', 'must be a non-empty string of at most 255 characters');
  const description = doc.description ?? null;
  if (description !== null && typeof description !== 'string') fail('description', 'must be a string');
  const attributes = packAttributes(doc, fail);
  if (errors.length) return undefined;
  return {
    ref: ref as string,
    label: (label as string).trim(),
    version: (version as string).trim(),
    description: description as string | null,
    ...attributes,
  };
}

export interface ReadPackOptions {
  /**
   * Answers which of the given action refs exist outside this pack (the registry). Workflow
   * tasks that name another pack's action are checked with it; refs of the pack itself are
   * checked against the pack's own actions, since registering it replaces them. Without it,
   * other packs' refs are not checked.
   */
  knownActions?: (refs: string[]) => Promise<ReadonlySet<string>>;
}

/**
 * Reads a pack directory (`pack.yaml` and `actions/*.yaml|yml`) into a definition, checking
 * each action against the files the pack really has. A workflow action's file is read and
 * validated too (`<file>: tasks.<task>.<field>`). Throws PackDefinitionError listing every
 * problem found.
 */
export async function readPackDefinition(root: string, files: ReadonlySet<string>, opts: ReadPackOptions = {}): Promise<PackDefinition> {
  const errors: FieldError[] = [];
  const warnings: string[] = [];
  const doc = await readYaml(join(root, 'pack.yaml'), 'pack.yaml', errors);
  const pack = doc ? packMetadata(doc, errors) : undefined;
  if (doc) {
    for (const key of Object.keys(doc).filter((k) => !PACK_KEYS.has(k))) warnings.push(`pack.yaml: key "${key}" is not used`);
  }
  if (!pack) throw new PackDefinitionError('pack.yaml is invalid', errors);

  const actionFiles = [...files].filter((f) => /^actions\/[^/]+\.ya?ml$/.test(f)).sort();
  const actions: ActionDefinition[] = [];
  const seen = new Map<string, string>();
  const workflowRefs: WorkflowActionRef[] = [];
  for (const file of actionFiles) {
    const raw = await readYaml(join(root, file), file, errors);
    if (!raw) continue;
    const { action, errors: problems, unknownKeys } = buildActionDefinition(raw, { packRef: pack.ref, files, source: file, workflows: true });
    errors.push(...problems);
    for (const key of unknownKeys) warnings.push(`${file}: key "${key}" is not used`);
    if (!action) continue;
    const other = seen.get(action.ref);
    if (other) {
      errors.push({ field: `${file}: ref`, message: `"${action.ref}" is also defined in ${other}` });
      continue;
    }
    seen.set(action.ref, file);
    if (action.runtime === WORKFLOW_RUNTIME) {
      const declared = raw.parameters !== undefined || raw.param_schema !== undefined;
      if (!(await readWorkflow(root, action, declared, pack.version, errors, workflowRefs))) continue;
    }
    actions.push(action);
  }
  // Same-pack refs must be in this upload: the registry's copy of the pack is about to be replaced.
  const own = workflowRefs.filter((r) => r.ref.split('.')[0] === pack.ref);
  const others = workflowRefs.filter((r) => r.ref.split('.')[0] !== pack.ref);
  errors.push(...(await unknownActionErrors(own, () => new Set(seen.keys()))));
  if (opts.knownActions) errors.push(...(await unknownActionErrors(others, opts.knownActions)));
  if (errors.length) throw new PackDefinitionError(`pack "${pack.ref}" is invalid`, errors);
  return { pack, actions, warnings };
}

/**
 * Reads and validates a workflow action's file, filling the action's definition, parameter
 * schema (the action YAML's, else the definition's `parameters`), tags and version. Answers
 * false when it is invalid (the problems are in `errors`).
 */
async function readWorkflow(
  root: string,
  action: ActionDefinition,
  paramsDeclared: boolean,
  packVersion: string,
  errors: FieldError[],
  refs: WorkflowActionRef[],
): Promise<boolean> {
  const file = action.entrypoint;
  const doc = await readYaml(join(root, file), file, errors);
  if (!doc) return false;
  const checked = checkWorkflowDefinition(doc, `${file}: `);
  errors.push(...checked.errors);
  refs.push(...checked.actionRefs);
  if (!checked.definition) return false;
  action.workflowDefinition = doc;
  // The definition's timeout is the whole run's limit, unless the action YAML gives its own.
  action.timeoutSeconds ??= checked.definition.timeout === null ? null : Math.min(checked.definition.timeout, MAX_ACTION_TIMEOUT_SECONDS);
  action.paramSchema = workflowParamSchema(paramsDeclared ? action.paramSchema : undefined, checked.definition);
  const meta = checked.definition.metadata;
  if (!action.tags?.length && Array.isArray(meta.tags)) action.tags = meta.tags.filter((t): t is string => typeof t === 'string');
  const version = action.workflowVersion ?? meta.version;
  action.workflowVersion = typeof version === 'string' || typeof version === 'number' ? String(version) : packVersion;
  return true;
}
