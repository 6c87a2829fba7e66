import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink, realpath } from 'node:fs/promises';
import { join, posix, relative, sep } from 'node:path';
import { type ReadEntry, Unpack } from 'tar';

/** How much an archive may hold. Both sides (api and worker) extract with the same limits. */
export interface ArchiveLimits {
  /** Sum of the sizes of the files in the archive, i.e. what extraction writes to disk. */
  maxExtractedBytes: number;
  /** Entries of every kind (files, directories, links). */
  maxEntries: number;
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = { maxExtractedBytes: 100 * 1024 * 1024, maxEntries: 10_000 };

export type ArchiveProblem = 'not_gzip' | 'malformed' | 'unsafe_entry' | 'too_large' | 'too_many_entries';

/** An archive refused; `entry` names the offending entry when there is one. */
export class PackArchiveError extends Error {
  constructor(
    readonly problem: ArchiveProblem,
    message: string,
    readonly entry?: string,
  ) {
    super(message);
    this.name = 'PackArchiveError';
  }
}

export interface ArchiveFile {
  /** `/`-separated, relative to the extraction directory. */
  path: string;
  size: number;
}

export interface ExtractedArchive {
  /** Regular files written, sorted by path. */
  files: ArchiveFile[];
  entries: number;
  bytes: number;
}

const ALLOWED_TYPES = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory', 'SymbolicLink', 'Link']);
const MAX_DEPTH = 32;
const MAX_PATH_BYTES = 1024;

/**
 * Normalises an entry path and answers it, or throws when it could land outside the
 * extraction directory: absolute paths (POSIX or Windows), `..` segments, NUL bytes.
 * `./a//b/` becomes `a/b`; the archive root itself (`./`) becomes ''.
 */
export function safeEntryPath(raw: string): string {
  if (raw.includes('\0')) throw new PackArchiveError('unsafe_entry', `entry path contains a NUL byte`, raw);
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw) || raw.startsWith('\\')) {
    throw new PackArchiveError('unsafe_entry', `entry "${raw}" has an absolute path`, raw);
  }
  if (raw.includes('\\')) throw new PackArchiveError('unsafe_entry', `entry "${raw}" contains a backslash`, raw);
  const segments = raw.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw new PackArchiveError('unsafe_entry', `entry "${raw}" leaves the pack with ".."`, raw);
  if (segments.length > MAX_DEPTH) throw new PackArchiveError('unsafe_entry', `entry "${raw}" is nested too deeply`, raw);
  if (Buffer.byteLength(raw) > MAX_PATH_BYTES) throw new PackArchiveError('unsafe_entry', `entry path is too long`, raw.slice(0, 100));
  return segments.join('/');
}

/** Where a link points, relative to the root, or throws when it points outside it. */
function linkTarget(entryPath: string, linkpath: string | undefined, kind: 'SymbolicLink' | 'Link'): string {
  if (!linkpath) throw new PackArchiveError('unsafe_entry', `link "${entryPath}" has no target`, entryPath);
  if (linkpath.startsWith('/') || /^[A-Za-z]:/.test(linkpath) || linkpath.includes('\\') || linkpath.includes('\0')) {
    throw new PackArchiveError('unsafe_entry', `link "${entryPath}" points to an absolute path (${linkpath})`, entryPath);
  }
  // A symbolic link resolves against its own directory, a hard link against the archive root.
  const base = kind === 'SymbolicLink' ? posix.dirname(entryPath) : '.';
  const resolved = posix.normalize(posix.join(base, linkpath));
  if (resolved === '..' || resolved.startsWith('../') || resolved === '.') {
    throw new PackArchiveError('unsafe_entry', `link "${entryPath}" points outside the pack (${linkpath})`, entryPath);
  }
  return resolved;
}

/**
 * Checks each entry before a byte of it is written, and keeps the totals. The first
 * violation is kept; the caller aborts extraction on it.
 */
class EntryGuard {
  entries = 0;
  bytes = 0;
  violation?: PackArchiveError;
  private readonly links = new Set<string>();

  constructor(private readonly limits: ArchiveLimits) {}

  /** Answers whether the entry may be written; records a violation otherwise. */
  admit(entry: ReadEntry): boolean {
    if (this.violation) return false;
    try {
      this.check(entry);
      return true;
    } catch (err) {
      this.violation = err instanceof PackArchiveError ? err : new PackArchiveError('malformed', (err as Error).message);
      return false;
    }
  }

  private check(entry: ReadEntry): void {
    if (++this.entries > this.limits.maxEntries) {
      throw new PackArchiveError('too_many_entries', `the archive has more than ${this.limits.maxEntries} entries`);
    }
    const path = safeEntryPath(entry.path);
    if (!ALLOWED_TYPES.has(entry.type)) {
      throw new PackArchiveError('unsafe_entry', `entry "${entry.path}" is a ${entry.type}; only files, directories and links are allowed`, entry.path);
    }
    // Writing below a link would write wherever the link points.
    const segments = path.split('/');
    for (let i = 1; i <= segments.length; i++) {
      const prefix = segments.slice(0, i).join('/');
      if (this.links.has(prefix)) {
        throw new PackArchiveError('unsafe_entry', `entry "${entry.path}" would be written through the link "${prefix}"`, entry.path);
      }
    }
    if (entry.type === 'SymbolicLink' || entry.type === 'Link') {
      if (!path) throw new PackArchiveError('unsafe_entry', `a link cannot replace the pack directory`, entry.path);
      linkTarget(path, entry.linkpath, entry.type);
      this.links.add(path);
      return;
    }
    if (entry.type === 'Directory') {
      entry.mode = 0o755;
      return;
    }
    // The header's size is exactly what the parser will hand over for this entry, so the
    // running sum bounds what reaches the disk before any of it is written.
    this.bytes += entry.size;
    if (this.bytes > this.limits.maxExtractedBytes) {
      throw new PackArchiveError('too_large', `the archive expands to more than ${this.limits.maxExtractedBytes} bytes`, entry.path);
    }
    // No set-id bits, nothing unreadable to the owner.
    entry.mode = ((entry.mode ?? 0o644) & 0o755) | 0o600;
  }
}

async function sniffGzip(file: string): Promise<boolean> {
  const stream = createReadStream(file, { start: 0, end: 1 });
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  const head = Buffer.concat(chunks);
  return head.length === 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** Regular files under `dir`, relative, sorted; links are not followed. */
export async function listFiles(dir: string, prefix = ''): Promise<ArchiveFile[]> {
  const out: ArchiveFile[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const full = join(dir, name);
    const rel = prefix ? `${prefix}/${name}` : name;
    const st = await lstat(full);
    if (st.isDirectory()) out.push(...(await listFiles(full, rel)));
    else if (st.isFile()) out.push({ path: rel, size: st.size });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Extracts a `.tar.gz` pack archive into `dest` (an existing, empty directory), refusing the
 * whole archive at its first hostile entry: absolute paths, `..`, links pointing outside
 * (also through chains of links, checked once all are written: verifyLinks),
 * entries written through links, devices and FIFOs, too many entries, or more than the
 * allowed bytes. Nothing is ever written outside `dest`; after a refusal `dest` holds a
 * partial extraction that the caller deletes.
 */
export async function extractPackArchive(archiveFile: string, dest: string, limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS): Promise<ExtractedArchive> {
  if (!(await sniffGzip(archiveFile))) throw new PackArchiveError('not_gzip', 'the pack is not a gzip-compressed tar archive (.tar.gz)');
  const guard = new EntryGuard(limits);
  const unpack = new Unpack({
    cwd: dest,
    strict: true,
    preservePaths: false,
    preserveOwner: false,
    noMtime: true,
    maxDepth: MAX_DEPTH,
    filter: (_path: string, entry: unknown) => guard.admit(entry as ReadEntry),
  });
  const done = new Promise<void>((resolve, reject) => {
    unpack.on('error', reject);
    unpack.on('close', () => resolve());
  });
  const source = createReadStream(archiveFile);
  source.on('error', (err) => unpack.abort(err));
  // Abort as soon as the guard refuses an entry: the rest of the archive is never read.
  unpack.on('ignoredEntry', () => {
    if (guard.violation) {
      source.destroy();
      unpack.abort(guard.violation);
    }
  });
  source.pipe(unpack as unknown as NodeJS.WritableStream);
  try {
    await done;
  } catch (err) {
    source.destroy();
    if (guard.violation) throw guard.violation;
    if (err instanceof PackArchiveError) throw err;
    // tar's own guard: an entry (a hard link, a link replacing a link) would go through a symbolic link.
    if ((err as { code?: string }).code === 'TAR_SYMLINK_ERROR') {
      throw new PackArchiveError('unsafe_entry', `the pack archive goes through a symbolic link: ${(err as Error).message}`);
    }
    throw new PackArchiveError('malformed', `the pack archive cannot be read: ${(err as Error).message}`);
  }
  if (guard.violation) throw guard.violation;
  await verifyLinks(dest);
  return { files: await listFiles(dest), entries: guard.entries, bytes: guard.bytes };
}

/**
 * Every symbolic link under `dir`, resolved by the file system itself (following links through
 * links), must land inside `dir`. The entry check is lexical and sees one link at a time, so a
 * chain (`a/b -> ..`, then `c -> a/b/..`) or a hard link to a symbolic link (whose relative target
 * then resolves from another directory) could pass it and still point outside. Links that point
 * at nothing, or loop, are refused too: nothing in a pack needs them.
 */
export async function verifyLinks(dir: string): Promise<void> {
  const root = await realpath(dir);
  const walk = async (at: string): Promise<void> => {
    for (const name of await readdir(at)) {
      const full = join(at, name);
      const st = await lstat(full);
      if (st.isDirectory()) {
        await walk(full);
        continue;
      }
      if (!st.isSymbolicLink()) continue;
      const entry = relative(dir, full).split(sep).join('/');
      let resolved: string;
      try {
        resolved = await realpath(full);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const why = code === 'ELOOP' ? 'is part of a loop of links' : `points to nothing in the pack (${await readlink(full)})`;
        throw new PackArchiveError('unsafe_entry', `link "${entry}" ${why}`, entry);
      }
      if (resolved !== root && !resolved.startsWith(root + sep)) {
        throw new PackArchiveError('unsafe_entry', `link "${entry}" resolves outside the pack through other links (${await readlink(full)})`, entry);
      }
      if (resolved === root) throw new PackArchiveError('unsafe_entry', `link "${entry}" points to the pack directory itself`, entry);
    }
  };
  await walk(dir);
}
