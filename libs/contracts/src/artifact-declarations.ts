import { ARTIFACT_TYPES, type ArtifactType } from './artifacts';

/**
 * A file an action (or a workflow task) leaves for the platform to keep: the contract's "Task
 * artifacts". `path` is relative to the work directory and may be a glob (`*`, `?`, `**`,
 * `[abc]`); each matching file becomes an artifact named `name` (for a single match) or after
 * the file.
 */
export interface ArtifactDeclaration {
  path: string;
  name?: string;
  type?: ArtifactType;
  /** Default false: a missing file is listed in `result.artifacts_missing`; true fails the run. */
  required?: boolean;
  /** Default `always`; `success` keeps the file only when the process succeeded. */
  when?: 'always' | 'success';
}

const DECLARATION_KEYS = new Set(['path', 'name', 'type', 'required', 'when']);

/** The most declarations an action may make: each is one upload after every run. */
export const MAX_ARTIFACT_DECLARATIONS = 100;

/** A relative path without `..` segments (globs allowed): the worker resolves it inside the work directory. */
export function isRelativeArtifactPath(path: string): boolean {
  return (
    path.trim() !== '' &&
    path.length <= 1024 &&
    !path.startsWith('/') &&
    !path.includes('\\') &&
    !path.includes('\0') &&
    !path.split('/').includes('..')
  );
}

/**
 * Reads `artifacts:` as written (a list of paths or `{path, name?, type?, required?, when?}`)
 * into its object form, answering every problem as `{field, message}` (`artifacts[1].type`).
 */
export function parseArtifactDeclarations(value: unknown, field = 'artifacts'): { declarations: ArtifactDeclaration[]; problems: { field: string; message: string }[] } {
  const problems: { field: string; message: string }[] = [];
  const declarations: ArtifactDeclaration[] = [];
  if (value === undefined || value === null) return { declarations, problems };
  if (!Array.isArray(value)) {
    problems.push({ field, message: 'must be a list of paths or {path, name?, type?, required?, when?}' });
    return { declarations, problems };
  }
  if (value.length > MAX_ARTIFACT_DECLARATIONS) {
    problems.push({ field, message: `may declare at most ${MAX_ARTIFACT_DECLARATIONS} artifacts` });
    return { declarations, problems };
  }
  const pathProblem = 'must be a path relative to the work directory (no leading "/", no "..")';
  value.forEach((item, i) => {
    const at = `${field}[${i}]`;
    const before = problems.length;
    if (typeof item === 'string') {
      if (!isRelativeArtifactPath(item)) problems.push({ field: at, message: pathProblem });
      else declarations.push({ path: item });
      return;
    }
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      problems.push({ field: at, message: 'must be a path or {path, name?, type?, required?, when?}' });
      return;
    }
    const o = item as Record<string, unknown>;
    for (const key of Object.keys(o)) {
      if (!DECLARATION_KEYS.has(key)) problems.push({ field: `${at}.${key}`, message: 'unknown key (known: path, name, type, required, when)' });
    }
    if (typeof o.path !== 'string' || !isRelativeArtifactPath(o.path)) problems.push({ field: `${at}.path`, message: pathProblem });
    if (o.name !== undefined && (typeof o.name !== 'string' || !o.name.trim() || o.name.length > 255 || o.name.includes('/'))) {
      problems.push({ field: `${at}.name`, message: 'must be a non-empty name of at most 255 characters, without "/"' });
    }
    if (o.type !== undefined && !(ARTIFACT_TYPES as readonly unknown[]).includes(o.type)) {
      problems.push({ field: `${at}.type`, message: `must be one of ${ARTIFACT_TYPES.join(', ')}` });
    }
    if (o.required !== undefined && typeof o.required !== 'boolean') problems.push({ field: `${at}.required`, message: 'must be true or false' });
    if (o.when !== undefined && o.when !== 'always' && o.when !== 'success') problems.push({ field: `${at}.when`, message: 'must be always or success' });
    if (problems.length !== before) return;
    declarations.push({
      path: o.path as string,
      ...(o.name !== undefined ? { name: (o.name as string).trim() } : {}),
      ...(o.type !== undefined ? { type: o.type as ArtifactType } : {}),
      ...(o.required !== undefined ? { required: o.required as boolean } : {}),
      ...(o.when !== undefined ? { when: o.when as 'always' | 'success' } : {}),
    });
  });
  return { declarations, problems };
}

const TEXT_EXTENSIONS = new Set(['txt', 'log', 'xml', 'json', 'jsonl', 'yaml', 'yml', 'md', 'html', 'htm', 'ini', 'toml', 'conf', 'sh', 'py', 'js', 'ts']);
const TABLE_EXTENSIONS = new Set(['csv', 'tsv']);
const IMAGE_EXTENSIONS = new Set(['png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'bmp']);

/** The artifact type of a kept file that declares none, from its extension. */
export function artifactTypeOf(fileName: string): ArtifactType {
  const ext = /\.([A-Za-z0-9]+)$/.exec(fileName)?.[1]?.toLowerCase() ?? '';
  if (TEXT_EXTENSIONS.has(ext)) return 'file_text';
  if (TABLE_EXTENSIONS.has(ext)) return 'file_datatable';
  if (IMAGE_EXTENSIONS.has(ext)) return 'file_image';
  return 'file_binary';
}

/**
 * The ref of the artifact a run keeps for `name`: `<action ref>.<execution id>.<name>` with
 * the name's other characters replaced, so every run has its own artifacts (a re-dispatch of the
 * same execution adds versions to them). At most 255 characters.
 */
export function declaredArtifactRef(actionRef: string, executionId: number, name: string): string {
  const safe = name.replace(/[^A-Za-z0-9_.:-]/g, '_').slice(0, 120);
  return `${actionRef}.${executionId}.${safe}`.slice(0, 255);
}
