import { type ArtifactDeclaration, type ArtifactType, artifactTypeOf } from '@attune/contracts';
import { constants, type Dirent } from 'node:fs';
import { type FileHandle, lstat, open, readdir, readlink, realpath } from 'node:fs/promises';
import { basename, join, posix, relative } from 'node:path';

/** A file to keep, found in the work directory after the process ended. */
export interface KeptFile {
  /** The artifact name: the declared one, else the file name (the path inside ATTUNE_ARTIFACTS_DIR for those). */
  name: string;
  /** Relative to the work directory (posix separators). */
  path: string;
  type: ArtifactType;
}

export interface FileSelection {
  files: KeptFile[];
  /** Declarations without a match: required ones fail the run, optional ones are reported. */
  missing: Array<{ declaration: ArtifactDeclaration; required: boolean }>;
}

/** Bounds on what a run may ask the worker to look through or keep. */
const MAX_WALK_ENTRIES = 20_000;
const MAX_WALK_DEPTH = 32;
const MAX_KEPT_FILES = 1000;

const GLOB_CHARS = /[*?[]/;

/**
 * A glob over posix relative paths, as a regular expression: `*` and `?` within one segment,
 * `**` across segments (`a/**\/b` also matches `a/b`), `[abc]` a class. Nothing else is special.
 */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        const slash = pattern[i + 2] === '/';
        re += slash ? '(?:.*/)?' : '.*';
        i += slash ? 2 : 1;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        const body = pattern.slice(i + 1, end).replace(/\\/g, '\\\\');
        re += body.startsWith('!') ? `[^/${body.slice(1)}]` : `[${body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * Regular files under `dir` (relative to `root`), never following a symbolic link: a link the
 * action left is skipped, so it cannot make the worker read outside the work directory.
 */
async function walk(root: string, dir: string, out: string[], budget: { entries: number }, depth = 0): Promise<void> {
  if (depth > MAX_WALK_DEPTH) return;
  let entries: Dirent[];
  try {
    entries = await readdir(join(root, dir), { withFileTypes: true });
  } catch {
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (--budget.entries < 0) return;
    const rel = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory()) await walk(root, rel, out, budget, depth + 1);
    else if (e.isFile()) out.push(rel);
  }
}

/** Whether a relative path names a regular file (not a link) whose parents are real directories. */
async function isPlainFile(root: string, rel: string): Promise<boolean> {
  let at = root;
  for (const part of rel.split('/')) {
    at = join(at, part);
    try {
      const s = await lstat(at);
      if (s.isSymbolicLink()) return false;
      if (at !== join(root, rel) && !s.isDirectory()) return false;
      if (at === join(root, rel)) return s.isFile();
    } catch {
      return false;
    }
  }
  return false;
}

/**
 * The files a run keeps (relative paths in `platformFiles` excepted): each declaration's matches (skipping `when: success` ones after a
 * failure), then every file left in the artifacts directory. A file is kept once.
 */
export async function selectFiles(
  workDir: string,
  artifactsDir: string,
  declarations: ArtifactDeclaration[],
  succeeded: boolean,
  platformFiles: string[] = [],
  /** Files placed for the run (consumed artifacts): kept only when declared, never by the artifacts-directory sweep. */
  notSwept: string[] = [],
): Promise<FileSelection> {
  const selection: FileSelection = { files: [], missing: [] };
  // The platform's own files in the work directory (the parameter file, with secret values) are never kept.
  const excluded = new Set<string>(platformFiles);
  const seen = new Set<string>(platformFiles);
  const names = new Set<string>();
  let all: string[] | undefined;
  const budget = { entries: MAX_WALK_ENTRIES };
  const keep = (path: string, name: string, type: ArtifactType | undefined) => {
    if (seen.has(path) || selection.files.length >= MAX_KEPT_FILES) return;
    seen.add(path);
    // Two matches with one file name (a/x.log, b/x.log) keep their paths as names.
    const unique = names.has(name) ? path : name;
    names.add(unique);
    selection.files.push({ name: unique, path, type: type ?? artifactTypeOf(path) });
  };
  for (const declaration of declarations) {
    if (declaration.when === 'success' && !succeeded) continue;
    const pattern = posix.normalize(declaration.path).replace(/^\.\//, '');
    let matches: string[];
    if (!GLOB_CHARS.test(pattern)) matches = (await isPlainFile(workDir, pattern)) ? [pattern] : [];
    else {
      if (!all) {
        all = [];
        await walk(workDir, '', all, budget);
      }
      const re = globToRegExp(pattern);
      matches = all.filter((p) => re.test(p));
    }
    matches = matches.filter((m) => !excluded.has(m));
    if (matches.length === 0) {
      selection.missing.push({ declaration, required: declaration.required === true });
      continue;
    }
    for (const m of matches) keep(m, matches.length === 1 && declaration.name ? declaration.name : basename(m), declaration.type);
  }
  const left: string[] = [];
  await walk(artifactsDir, '', left, budget);
  const prefix = relative(workDir, artifactsDir);
  const placed = new Set(notSwept);
  for (const p of left) if (!placed.has(`${prefix}/${p}`)) keep(`${prefix}/${p}`, p, undefined);
  return selection;
}

/**
 * Opens a kept file for reading without following a link, and checks that what was opened is a
 * regular file inside the work directory (the kernel's own view of the open file, so a path
 * swapped for a link after the walk is caught).
 */
export async function openInside(workDir: string, rel: string): Promise<{ handle: FileHandle; size: number }> {
  const root = await realpath(workDir);
  const handle = await open(join(workDir, rel), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const s = await handle.stat();
    if (!s.isFile()) throw new Error(`${rel} is not a regular file`);
    const opened = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => undefined);
    if (opened !== undefined && !opened.startsWith(`${root}/`)) throw new Error(`${rel} leads outside the work directory`);
    return { handle, size: s.size };
  } catch (err) {
    await handle.close();
    throw err;
  }
}
