import { DomainError } from '@attune/contracts';
import {
  extractPackArchive,
  findPackRoot,
  PackArchiveError,
  packArchiveKey,
  type PackDefinition,
  PackDefinitionError,
  readPackDefinition,
} from '@attune/packs';
import { ActionRepository, isRefusal, PackRegistryRepository, PackRepository, type UploadRegistered } from '@attune/persistence';
import { BLOB_STORE, type BlobStore } from '@attune/storage';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { create as createTar } from 'tar';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, readdir, realpath, rm, stat } from 'node:fs/promises';
import { isAbsolute, join, sep } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Counter } from 'prom-client';
import type { Principal } from '../auth/auth.decorators';
import type { MultipartBody, MultipartSpec } from '../common/http/upload';
import { ApiConfig } from '../config/api.config';

/** Form fields Attune's client sends beside the archive (accepted and ignored). */
export const ATTUNE_UPLOAD_FIELDS = ['force', 'skip_tests'] as const;

const uploads = new Counter({ name: 'attune_pack_uploads_total', help: 'Pack uploads by outcome', labelNames: ['outcome'] });

interface StagedArchive {
  path: string;
  size: number;
  sha256: string;
}

export interface PackUploadResult extends UploadRegistered {
  warnings: string[];
}

/** Raised while packing a directory past the upload limit: answers 413. */
class TooLarge extends Error {}

/**
 * `POST /api/v1/packs/upload`. The archive is streamed to a private staging directory while it
 * is hashed (memory stays flat), extracted there with every entry checked, its YAML read and
 * checked against the files it really has, and only then stored in the blob store under its
 * SHA-256 (`packs/sha256/<hash>.tar.gz`) and registered. A refused upload leaves nothing: the
 * staging directory is always removed, and no blob or row is written before the archive has
 * passed every check.
 */
@Injectable()
export class PackUploadService {
  private readonly logger = new Logger(PackUploadService.name);

  constructor(
    private readonly config: ApiConfig,
    private readonly packs: PackRepository,
    private readonly registry: PackRegistryRepository,
    private readonly actions: ActionRepository,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
  ) {}

  async upload(principal: Principal, body: MultipartBody): Promise<PackUploadResult> {
    const max = this.config.packMaxUploadBytes;
    return this.inStaging(async (dir) => {
      const target = join(dir, 'pack.tar.gz');
      const received = await body.receive(uploadSpec(target, max));
      if (!received.file) throw new DomainError('VALIDATION_ERROR', 'no pack archive in the upload', [{ field: 'pack', message: 'is required: a .tar.gz file' }]);
      const { size, sha256 = '' } = received.file;
      if (size === 0) throw new DomainError('VALIDATION_ERROR', 'the pack archive is empty', [{ field: 'pack', message: 'is empty' }]);
      return this.register({ path: target, size, sha256 }, dir, principal.kind === 'user' ? principal.id : null);
    });
  }

  /**
   * `POST /api/v1/packs/register {path}`: a pack directory the server can read, inside one of the
   * configured pack roots (ATTUNE_PACK_ROOTS). The path is resolved with every symlink followed
   * and must then lie inside a root, so neither `..` nor a link leads out. The directory is
   * walked within the upload's limits, packed into a .tar.gz (links stored as links, never
   * followed) and then goes through exactly the upload's checks and registration.
   */
  async registerDirectory(principal: Principal, path: string): Promise<PackUploadResult> {
    const dirPath = await this.confine(path);
    return this.inStaging(async (dir) => {
      await this.checkTree(dirPath);
      const staged = await this.pack(dirPath, join(dir, 'pack.tar.gz'));
      return this.register(staged, dir, principal.kind === 'user' ? principal.id : null);
    });
  }

  /**
   * A pack directory that ships with the platform (the example pack), registered at startup
   * exactly as `POST /packs/register` would, without a principal or the pack roots: the path
   * comes from the api's own configuration, never from a request.
   */
  async registerBundledDirectory(path: string): Promise<PackUploadResult> {
    return this.inStaging(async (dir) => {
      await this.checkTree(path);
      const staged = await this.pack(path, join(dir, 'pack.tar.gz'));
      return this.register(staged, dir, null);
    });
  }

  /** Runs `work` in a staging directory of its own, counts the outcome, and always removes the directory. */
  private async inStaging(work: (dir: string) => Promise<PackUploadResult>): Promise<PackUploadResult> {
    const dir = join(this.config.packStagingDir, randomUUID());
    await mkdir(dir, { recursive: true, mode: 0o700 });
    try {
      const result = await work(dir);
      uploads.inc({ outcome: 'registered' });
      return result;
    } catch (err) {
      uploads.inc({ outcome: 'refused' });
      throw err;
    } finally {
      await rm(dir, { recursive: true, force: true }).catch((err: Error) =>
        this.logger.warn({ dir, err: err.message }, 'could not remove a pack staging directory'),
      );
    }
  }


  /** The real path of `path` when it is a directory inside a configured root; 403 or 422 otherwise. */
  private async confine(path: string): Promise<string> {
    const roots = this.config.packRoots;
    if (!roots.length) throw new DomainError('FORBIDDEN', 'registering packs from server paths is off: the operator sets ATTUNE_PACK_ROOTS to allow it');
    if (!isAbsolute(path) || path.includes('\0')) {
      throw new DomainError('VALIDATION_ERROR', 'the path is invalid', [{ field: 'path', message: 'must be an absolute path' }]);
    }
    let real: string;
    try {
      real = await realpath(path);
    } catch {
      throw new DomainError('VALIDATION_ERROR', 'the path is invalid', [{ field: 'path', message: 'does not exist or cannot be read' }]);
    }
    const inside = await Promise.all(
      roots.map(async (root) => {
        const realRoot = await realpath(root).catch(() => undefined);
        return realRoot !== undefined && (real === realRoot || real.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep));
      }),
    );
    if (!inside.some(Boolean)) throw new DomainError('FORBIDDEN', 'the path is outside the configured pack roots (ATTUNE_PACK_ROOTS)');
    if (!(await stat(real)).isDirectory()) {
      throw new DomainError('VALIDATION_ERROR', 'the path is invalid', [{ field: 'path', message: 'must be a pack directory (with pack.yaml)' }]);
    }
    return real;
  }

  /** Walks the tree without following links, refusing it as soon as it passes the upload limits. */
  private async checkTree(root: string): Promise<void> {
    let entries = 0;
    let bytes = 0;
    const walk = async (dir: string, depth: number): Promise<void> => {
      if (depth > 32) throw new DomainError('VALIDATION_ERROR', 'the pack directory is nested too deeply', [{ field: 'path', message: 'more than 32 levels' }]);
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        if (++entries > this.config.packMaxEntries) {
          throw new DomainError('PAYLOAD_TOO_LARGE', `the pack directory has more than ${this.config.packMaxEntries} entries`);
        }
        const full = join(dir, entry.name);
        if (entry.isDirectory()) await walk(full, depth + 1);
        else if (entry.isFile()) {
          bytes += (await lstat(full)).size;
          if (bytes > this.config.packMaxExtractedBytes) {
            throw new DomainError('PAYLOAD_TOO_LARGE', `the pack directory holds more than ${this.config.packMaxExtractedBytes} bytes`);
          }
        }
        // Links, devices and the rest are packed as they are and judged by the archive checks.
      }
    };
    await walk(root, 0);
  }

  /** Packs the directory into a .tar.gz at `target`, hashed as it is written, within the upload limit. */
  private async pack(root: string, target: string): Promise<StagedArchive> {
    const names = (await readdir(root)).sort();
    if (!names.length) throw new DomainError('VALIDATION_ERROR', 'the pack directory is empty', [{ field: 'path', message: 'is empty' }]);
    const archive = createTar({ cwd: root, gzip: true, portable: true, follow: false, noDirRecurse: false }, names) as unknown as Readable;
    try {
      return await this.stage(archive, target, this.config.packMaxUploadBytes);
    } catch (err) {
      if (err instanceof TooLarge) throw new DomainError('PAYLOAD_TOO_LARGE', `the packed directory exceeds the limit of ${this.config.packMaxUploadBytes} bytes`);
      throw err;
    }
  }

  /** Checks the staged archive and, if it is a valid pack, stores and registers it. */
  private async register(staged: StagedArchive, dir: string, uploadedBy: number | null): Promise<PackUploadResult> {
    const tree = join(dir, 'tree');
    await mkdir(tree);
    let definition: PackDefinition;
    let files: Array<{ path: string; size: number }>;
    try {
      const extracted = await extractPackArchive(staged.path, tree, {
        maxExtractedBytes: this.config.packMaxExtractedBytes,
        maxEntries: this.config.packMaxEntries,
      });
      const root = await findPackRoot(tree);
      const prefix = root ? `${root}/` : '';
      files = extracted.files.filter((f) => f.path.startsWith(prefix)).map((f) => ({ path: f.path.slice(prefix.length), size: f.size }));
      // Workflow tasks may name other packs' actions: those must already be registered.
      definition = await readPackDefinition(join(tree, root), new Set(files.map((f) => f.path)), {
        knownActions: (refs) => this.actions.existingRefs(refs),
      });
    } catch (err) {
      throw translateCheckFailure(err);
    }
    const existing = await this.packs.findByRef(definition.pack.ref);
    if (existing?.isStandard) throw new DomainError('CONFLICT', `pack "${existing.ref}" is built in and cannot be replaced`);

    const blobKey = packArchiveKey(staged.sha256);
    const stored = await this.blobs.exists(blobKey);
    if (!stored) {
      await this.blobs.put(blobKey, createReadStream(staged.path), { expectedSha256: staged.sha256, contentType: 'application/gzip' });
    }
    const outcome = await this.registry.registerUpload(
      { ...definition.pack, isStandard: false },
      definition.actions.map((a) => ({ ...a })),
      { digest: staged.sha256, sizeBytes: staged.size, blobKey, files, uploadedBy },
    );
    if (isRefusal(outcome)) {
      // The archive was stored for a registration that did not happen: drop it unless a
      // version already refers to it.
      if (!stored && !(await this.registry.blobInUse(blobKey))) await this.blobs.delete(blobKey).catch(() => undefined);
      switch (outcome.refused) {
        case 'active_executions':
          throw new DomainError(
            'CONFLICT',
            'the new archive drops actions that unfinished executions still use; wait for them or keep the actions',
            outcome.actions.map((ref) => ({ field: ref, message: 'has unfinished executions' })),
          );
        case 'used_by_workflows':
          throw new DomainError(
            'CONFLICT',
            'the new archive drops actions that saved workflows of other packs run; change those workflows or keep the actions',
            outcome.workflows.map((ref) => ({ field: ref, message: 'has a task that runs a dropped action' })),
          );
        case 'standard_pack':
          throw new DomainError('CONFLICT', `pack "${definition.pack.ref}" is built in and cannot be replaced`);
        default:
          throw new DomainError('CONFLICT', `pack "${definition.pack.ref}" could not be registered (${outcome.refused})`);
      }
    }
    this.logger.log(
      { pack: outcome.pack.ref, digest: staged.sha256, actions: outcome.actions.length, removed: outcome.removedActions, new_version: outcome.newVersion },
      'pack uploaded',
    );
    return { ...outcome, warnings: definition.warnings };
  }

  private async stage(stream: Readable, target: string, maxBytes: number): Promise<StagedArchive> {
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (size > maxBytes) return done(new TooLarge());
        hash.update(chunk);
        done(null, chunk);
      },
    });
    await pipeline(stream, meter, createWriteStream(target, { flags: 'wx', mode: 0o600 }));
    if (size === 0) throw new DomainError('VALIDATION_ERROR', 'the pack archive is empty', [{ field: 'pack', message: 'is empty' }]);
    return { path: target, size, sha256: hash.digest('hex') };
  }
}

function unexpected(name: string): DomainError {
  return new DomainError('VALIDATION_ERROR', 'unexpected multipart field', [{ field: name, message: 'is not accepted; send the .tar.gz in the field "pack"' }]);
}

/**
 * The multipart upload: its one file part, `pack`, is written to `target` while the receiver
 * measures and hashes it. Any other part is refused (422). Attune's client sends force and
 * skip_tests with every upload: accepted (booleans) and ignored; this platform runs no pack tests
 * and an upload always replaces the pack.
 */
function uploadSpec(target: string, maxBytes: number): MultipartSpec<void> {
  return {
    notMultipart: 'the upload must be multipart/form-data with the .tar.gz in the field "pack"',
    maxBytes,
    tooLarge: `the pack archive exceeds the limit of ${maxBytes} bytes`,
    limits: { files: 1, fields: ATTUNE_UPLOAD_FIELDS.length, fieldSize: 64 },
    limitReached: (what) => (what === 'fields' ? unexpected('(field)') : what === 'files' ? unexpected('(second file)') : undefined),
    field: (name, value) => {
      if (!(ATTUNE_UPLOAD_FIELDS as readonly string[]).includes(name)) throw unexpected(name);
      if (!/^(true|false|1|0|yes|no|on|off)?$/i.test(value.trim())) {
        throw new DomainError('VALIDATION_ERROR', 'invalid multipart field', [{ field: name, message: 'must be true or false' }]);
      }
      return false;
    },
    file: ({ field, stream }) => {
      if (field !== 'pack') throw unexpected(field);
      return pipeline(stream, createWriteStream(target, { flags: 'wx', mode: 0o600 }));
    },
    hash: true,
  };
}

/** What an archive or definition check failure answers: 413 for size, 422 with details otherwise. */
export function translateCheckFailure(err: unknown): unknown {
  if (err instanceof PackArchiveError) {
    if (err.problem === 'too_large') return new DomainError('PAYLOAD_TOO_LARGE', `pack archive refused: ${err.message}`);
    return new DomainError('VALIDATION_ERROR', `pack archive refused: ${err.message}`, [{ field: err.entry ?? 'pack', message: err.message }]);
  }
  if (err instanceof PackDefinitionError) return new DomainError('VALIDATION_ERROR', err.message, err.details);
  return err;
}
