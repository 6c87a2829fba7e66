import { PACK_REF_PATTERN } from '@attune/contracts';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { type ActionDefinition, buildActionDefinition, type FieldError } from './action-definition';

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

/**
 * Reads a pack directory (`pack.yaml` and `actions/*.yaml|yml`) into a definition, checking
 * each action against the files the pack really has. Throws PackDefinitionError listing every
 * problem found.
 */
export async function readPackDefinition(root: string, files: ReadonlySet<string>): Promise<PackDefinition> {
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
  for (const file of actionFiles) {
    const raw = await readYaml(join(root, file), file, errors);
    if (!raw) continue;
    const { action, errors: problems, unknownKeys } = buildActionDefinition(raw, { packRef: pack.ref, files, source: file });
    errors.push(...problems);
    for (const key of unknownKeys) warnings.push(`${file}: key "${key}" is not used`);
    if (!action) continue;
    const other = seen.get(action.ref);
    if (other) {
      errors.push({ field: `${file}: ref`, message: `"${action.ref}" is also defined in ${other}` });
      continue;
    }
    seen.set(action.ref, file);
    actions.push(action);
  }
  if (errors.length) throw new PackDefinitionError(`pack "${pack.ref}" is invalid`, errors);
  return { pack, actions, warnings };
}
