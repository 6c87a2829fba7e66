import { chmod, lstat, mkdir, readdir, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Directories kept one per pack SHA-256 under a root (the pack cache, the pack environments),
 * made for runs to read. Each is made whole in a private directory and renamed into place
 * (renameIntoPlace), so a directory under its digest is always complete and never changes
 * afterwards; concurrent runs of one digest share one making (once).
 */
export class DigestDirectories<T> {
  /** Makings in progress here, by digest. */
  private readonly pending = new Map<string, Promise<T>>();
  private rootReady = false;

  constructor(readonly root: string) {}

  /** `make()` for `digest`, unless a making of that digest is in progress here: then its result. */
  once(digest: string, make: () => Promise<T>): Promise<T> {
    let pending = this.pending.get(digest);
    if (!pending) {
      pending = make().finally(() => this.pending.delete(digest));
      this.pending.set(digest, pending);
    }
    return pending;
  }

  /**
   * Creates the root, 0711: a run reaches a directory by its digest but cannot list the others.
   * Answers true the first time in this process (when the caller may tidy the root up).
   */
  async prepareRoot(): Promise<boolean> {
    if (this.rootReady) return false;
    await mkdir(this.root, { recursive: true, mode: 0o711 });
    await chmod(this.root, 0o711);
    this.rootReady = true;
    return true;
  }
}

/**
 * Renames the finished directory `from` to `to`. When another process on this host put the
 * same digest in place first, `from` is left for the caller to remove and theirs is used.
 */
export async function renameIntoPlace(from: string, to: string): Promise<void> {
  await rename(from, to).catch(async (err: NodeJS.ErrnoException) => {
    if (!['EEXIST', 'ENOTEMPTY'].includes(err.code ?? '') || !(await isDirectory(to))) throw err;
  });
}

export async function isDirectory(path: string): Promise<boolean> {
  return (await directoryMode(path)) !== undefined;
}

/** The permission bits of a directory, or undefined when there is none. */
export async function directoryMode(path: string): Promise<number | undefined> {
  try {
    const s = await stat(path);
    return s.isDirectory() ? s.mode & 0o7777 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Lets every user read (and enter) a directory runs use: directories 0755, files 0644, 0755 when
 * they were executable. Symbolic links are left alone (chmod would follow them).
 */
export async function makeReadableByAll(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await makeReadableByAll(path);
    else if (entry.isFile()) await chmod(path, ((await lstat(path)).mode & 0o100) !== 0 ? 0o755 : 0o644);
  }
}
