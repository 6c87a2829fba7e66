import { randomUUID } from 'node:crypto';
import { createWriteStream, type Stats } from 'node:fs';
import { chmod, mkdir, open, readdir, readFile, rename, rm, rmdir, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { assertValidBlobKey, assertValidBlobPrefix, assertValidRange, normalizeSha256 } from './blob-key';
import { DEFAULT_CONTENT_TYPE, type BlobHead, type BlobStore, type ByteRange, type CopyOptions, type ListOptions, type PutOptions, type PutResult } from './blob-store';
import { BlobNotFoundError, ChecksumMismatchError, InvalidBlobKeyError, RangeNotSatisfiableError } from './blob-store.errors';
import { HashingCounter, toReadable } from './blob-streams';

export interface FsBlobStoreOptions {
  /** Directory that holds everything; created on first write. */
  root: string;
}

/** What the sidecar under meta/ records about the blob with the same relative path. */
interface BlobMeta {
  sha256: string;
  size: number;
  contentType: string;
}

const MISSING = new Set(['ENOENT', 'ENOTDIR']);
/** Blobs are private to the service: files 0600 in directories 0700. */
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;
const PATH_CONFLICT = new Set(['EEXIST', 'ENOTDIR', 'EISDIR', 'ENOTEMPTY', 'ERR_FS_EISDIR']);

function codeOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Blob store on a local directory, the embedded default for a single machine.
 *
 * Layout under `root`:
 *   objects/<key>  the bytes
 *   meta/<key>     JSON sidecar {sha256, size, contentType}
 *   .tmp/          writes in progress (same filesystem, so the final rename is atomic)
 * Files are 0600 and directories 0700 (the root included): only the service's user reads blobs.
 * Keeping sidecars in their own tree means no key is reserved and list() never has to filter.
 *
 * Crash safety: bytes are written and fsynced under .tmp/, then renamed into place. The old
 * sidecar is removed *before* the new bytes are renamed in and the new sidecar is renamed in
 * after, so a crash can leave a blob without a sha256 (reported as unknown) but never a
 * sidecar describing other bytes. A sidecar whose size disagrees with the file is ignored.
 *
 * Limitation: a path cannot be a file and a directory at once, so the fs driver cannot hold
 * both `a/b` and `a/b/c`; the second put rejects with InvalidBlobKeyError. Attune's keys
 * (`staging/<id>`, `blobs/sha256/…`) never collide that way.
 */
export class FsBlobStore implements BlobStore {
  readonly driver = 'fs' as const;
  private readonly root: string;
  private readonly objectsDir: string;
  private readonly metaDir: string;
  private readonly tmpDir: string;
  private prepared?: Promise<void>;

  constructor(opts: FsBlobStoreOptions) {
    if (!opts?.root) throw new Error('FsBlobStore: root is required');
    this.root = path.resolve(opts.root);
    this.objectsDir = path.join(this.root, 'objects');
    this.metaDir = path.join(this.root, 'meta');
    this.tmpDir = path.join(this.root, '.tmp');
  }

  async put(key: string, body: NodeJS.ReadableStream | Buffer, opts: PutOptions = {}): Promise<PutResult> {
    const dataPath = this.pathIn(this.objectsDir, key);
    const metaPath = this.pathIn(this.metaDir, key);
    const expected = opts.expectedSha256 === undefined ? undefined : normalizeSha256(opts.expectedSha256);
    await this.prepare();
    const tmpData = path.join(this.tmpDir, randomUUID());
    const tmpMeta = `${tmpData}.meta`;
    try {
      const hasher = new HashingCounter(key, { maxBytes: opts.maxBytes, size: opts.size, expectedSha256: expected });
      await pipeline(toReadable(body), hasher, createWriteStream(tmpData, { flags: 'wx', mode: FILE_MODE }));
      await fsyncPath(tmpData);
      const sha256 = hasher.digest();
      if (expected !== undefined && expected !== sha256) throw new ChecksumMismatchError(key, expected, sha256);
      const meta: BlobMeta = { sha256, size: hasher.bytes, contentType: opts.contentType ?? DEFAULT_CONTENT_TYPE };
      await writeDurably(tmpMeta, JSON.stringify(meta));
      await this.install(key, tmpData, tmpMeta, dataPath, metaPath);
      return { key, size: meta.size, sha256 };
    } finally {
      // After a successful install both are gone already; after a failure this is the cleanup.
      await Promise.all([rm(tmpData, { force: true }), rm(tmpMeta, { force: true })]);
    }
  }

  async get(key: string, range?: ByteRange): Promise<NodeJS.ReadableStream> {
    await this.prepare();
    const dataPath = this.pathIn(this.objectsDir, key);
    if (range) assertValidRange(key, range);
    const fh = await this.openBlob(key, dataPath);
    try {
      const { size } = await fh.stat();
      if (range && range.start >= size) throw new RangeNotSatisfiableError(key, range, size);
    } catch (err) {
      await fh.close();
      throw err;
    }
    // The stream owns the handle from here on and closes it at end, error or destroy.
    return fh.createReadStream(range ? { start: range.start, end: range.end } : {});
  }

  async head(key: string): Promise<BlobHead | null> {
    const dataPath = this.pathIn(this.objectsDir, key);
    const stats = await statOrNull(dataPath);
    if (!stats?.isFile()) return null;
    const meta = await this.readMeta(key);
    if (!meta || meta.size !== stats.size) return { key, size: stats.size };
    return { key, size: stats.size, sha256: meta.sha256, contentType: meta.contentType };
  }

  async exists(key: string): Promise<boolean> {
    return (await this.head(key)) !== null;
  }

  async delete(key: string): Promise<void> {
    const dataPath = this.pathIn(this.objectsDir, key);
    const metaPath = this.pathIn(this.metaDir, key);
    const stats = await statOrNull(dataPath);
    // A directory here means `key` is only a prefix of other keys: there is no blob to delete.
    if (stats?.isFile()) await unlinkIfPresent(dataPath);
    const metaStats = await statOrNull(metaPath);
    if (metaStats?.isFile()) await unlinkIfPresent(metaPath);
    await Promise.all([pruneEmptyDirs(this.objectsDir, path.dirname(dataPath)), pruneEmptyDirs(this.metaDir, path.dirname(metaPath))]);
  }

  async copy(fromKey: string, toKey: string, opts: CopyOptions = {}): Promise<void> {
    const given = opts.sha256 === undefined ? undefined : normalizeSha256(opts.sha256);
    const fromPath = this.pathIn(this.objectsDir, fromKey);
    const toPath = this.pathIn(this.objectsDir, toKey);
    const toMetaPath = this.pathIn(this.metaDir, toKey);
    if (fromKey === toKey) {
      if (!(await this.exists(fromKey))) throw new BlobNotFoundError(fromKey);
      return;
    }
    await this.prepare();
    const tmpData = path.join(this.tmpDir, randomUUID());
    const tmpMeta = `${tmpData}.meta`;
    try {
      // Reading the sidecar before and after opening the source pins a consistent pair: a put
      // racing with us removes the sidecar before swapping the bytes, so the two reads differ.
      const before = await this.readMeta(fromKey);
      const fh = await this.openBlob(fromKey, fromPath);
      let size: number;
      try {
        size = (await fh.stat()).size;
        await pipeline(fh.createReadStream({ autoClose: false }), createWriteStream(tmpData, { flags: 'wx', mode: FILE_MODE }));
      } finally {
        await fh.close();
      }
      const after = await this.readMeta(fromKey);
      await fsyncPath(tmpData);
      const consistent = before && after && before.sha256 === after.sha256 && after.size === size;
      if (given !== undefined && consistent && after.sha256 !== given) throw new ChecksumMismatchError(fromKey, given, after.sha256);
      const meta = consistent ? after : given !== undefined ? { sha256: given, size, contentType: before?.contentType ?? DEFAULT_CONTENT_TYPE } : undefined;
      if (meta) await writeDurably(tmpMeta, JSON.stringify(meta));
      await this.install(toKey, tmpData, meta ? tmpMeta : undefined, toPath, toMetaPath);
    } finally {
      await Promise.all([rm(tmpData, { force: true }), rm(tmpMeta, { force: true })]);
    }
  }

  async *list(prefix: string, opts: ListOptions = {}): AsyncIterable<BlobHead> {
    assertValidBlobPrefix(prefix);
    // Start at the deepest directory the prefix names completely; its last partial segment
    // only filters.
    const slash = prefix.lastIndexOf('/');
    const dirKey = slash >= 0 ? prefix.slice(0, slash) : '';
    const start = dirKey ? path.join(this.objectsDir, ...dirKey.split('/')) : this.objectsDir;
    const after = opts.startAfter === undefined ? undefined : Buffer.from(opts.startAfter);
    for await (const item of walk(start, dirKey ? `${dirKey}/` : '', prefix)) {
      if (!after || Buffer.compare(Buffer.from(item.key), after) > 0) yield item;
    }
  }

  async check(): Promise<void> {
    await this.prepare();
    const probe = path.join(this.tmpDir, `health-${randomUUID()}`);
    await writeFile(probe, 'ok', { flag: 'wx', mode: FILE_MODE });
    await unlink(probe);
  }

  async close(): Promise<void> {
    // Nothing held open between calls.
  }

  /**
   * Creates the store's directories 0700 and, once per process, takes the root to 0700 too: an
   * older version made it 0755 with 0644 files, readable by every local user (actions included).
   * With the root closed, nothing under it can be reached by others, whatever its own mode. A
   * root this process does not own (EPERM) is left as it is.
   */
  private prepare(): Promise<void> {
    this.prepared ??= (async () => {
      await Promise.all([this.root, this.objectsDir, this.metaDir, this.tmpDir].map((d) => mkdir(d, { recursive: true, mode: DIR_MODE })));
      await Promise.all(
        [this.root, this.objectsDir, this.metaDir, this.tmpDir].map((d) =>
          chmod(d, DIR_MODE).catch((err: unknown) => {
            if (codeOf(err) !== 'EPERM') throw err;
          }),
        ),
      );
    })().catch((err: unknown) => {
      this.prepared = undefined;
      throw err;
    });
    return this.prepared;
  }

  /** Maps a validated key under `base`; the check after join is a second line of defence. */
  private pathIn(base: string, key: string): string {
    assertValidBlobKey(key);
    const resolved = path.join(base, ...key.split('/'));
    if (!resolved.startsWith(base + path.sep)) throw new InvalidBlobKeyError(key, 'escapes the store root');
    return resolved;
  }

  private async openBlob(key: string, dataPath: string): Promise<FileHandle> {
    let fh: FileHandle;
    try {
      fh = await open(dataPath, 'r');
    } catch (err) {
      if (MISSING.has(codeOf(err) ?? '') || codeOf(err) === 'EISDIR') throw new BlobNotFoundError(key);
      throw err;
    }
    const stats = await fh.stat().catch(async (err) => {
      await fh.close();
      throw err;
    });
    if (!stats.isFile()) {
      await fh.close();
      throw new BlobNotFoundError(key);
    }
    return fh;
  }

  private async readMeta(key: string): Promise<BlobMeta | null> {
    try {
      const meta = JSON.parse(await readFile(this.pathIn(this.metaDir, key), 'utf8')) as Partial<BlobMeta>;
      if (typeof meta.sha256 !== 'string' || typeof meta.size !== 'number') return null;
      return { sha256: meta.sha256, size: meta.size, contentType: meta.contentType ?? DEFAULT_CONTENT_TYPE };
    } catch (err) {
      if (MISSING.has(codeOf(err) ?? '') || codeOf(err) === 'EISDIR' || err instanceof SyntaxError) return null;
      throw err;
    }
  }

  /** Moves finished temp files into place; see the class comment for why in this order. */
  private async install(key: string, tmpData: string, tmpMeta: string | undefined, dataPath: string, metaPath: string): Promise<void> {
    // A concurrent delete may prune a parent directory between our mkdir and rename.
    for (let attempt = 1; ; attempt++) {
      try {
        await mkdir(path.dirname(dataPath), { recursive: true, mode: DIR_MODE });
        await mkdir(path.dirname(metaPath), { recursive: true, mode: DIR_MODE });
        await rm(metaPath, { force: true });
        await rename(tmpData, dataPath);
        if (tmpMeta) await rename(tmpMeta, metaPath);
        break;
      } catch (err) {
        const code = codeOf(err) ?? '';
        if (code === 'ENOENT' && attempt < 5) continue;
        if (PATH_CONFLICT.has(code)) {
          throw new InvalidBlobKeyError(key, 'conflicts with an existing key (the fs driver cannot hold both "a/b" and "a/b/c")');
        }
        throw err;
      }
    }
    await fsyncDir(path.dirname(dataPath));
    await fsyncDir(path.dirname(metaPath));
  }
}

async function* walk(dir: string, keyPrefix: string, filter: string): AsyncGenerator<BlobHead> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (MISSING.has(codeOf(err) ?? '')) return;
    throw err;
  }
  // Sort the way S3 does (UTF-8 bytes of the whole key): a directory sorts as "name/".
  const sorted = entries
    .filter((e) => e.isFile() || e.isDirectory())
    .map((e) => ({ entry: e, sortKey: Buffer.from(e.isDirectory() ? `${e.name}/` : e.name) }))
    .sort((a, b) => Buffer.compare(a.sortKey, b.sortKey));
  for (const { entry } of sorted) {
    const key = keyPrefix + entry.name;
    if (entry.isDirectory()) {
      const sub = `${key}/`;
      if (sub.startsWith(filter) || filter.startsWith(sub)) yield* walk(path.join(dir, entry.name), sub, filter);
    } else if (key.startsWith(filter)) {
      const stats = await statOrNull(path.join(dir, entry.name));
      if (stats?.isFile()) yield { key, size: stats.size };
    }
  }
}

async function statOrNull(file: string): Promise<Stats | null> {
  return stat(file).catch((err) => {
    if (MISSING.has(codeOf(err) ?? '')) return null;
    throw err;
  });
}

async function fsyncPath(file: string): Promise<void> {
  const fh = await open(file, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function writeDurably(file: string, content: string): Promise<void> {
  const fh = await open(file, 'wx', FILE_MODE);
  try {
    await fh.writeFile(content);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Makes a rename durable. Some platforms cannot fsync a directory; that is not an error. */
async function fsyncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch (err) {
    if (!['EISDIR', 'EINVAL', 'EPERM', 'EBADF'].includes(codeOf(err) ?? '')) throw err;
  } finally {
    await fh?.close();
  }
}

async function unlinkIfPresent(file: string): Promise<void> {
  await unlink(file).catch((err) => {
    if (!MISSING.has(codeOf(err) ?? '')) throw err;
  });
}

/** Removes now-empty parents up to (not including) `base`, so deleted prefixes do not pile up. */
async function pruneEmptyDirs(base: string, dir: string): Promise<void> {
  let current = dir;
  while (current.startsWith(base + path.sep)) {
    try {
      await rmdir(current);
    } catch {
      return; // not empty, already gone, or busy: all fine
    }
    current = path.dirname(current);
  }
}
