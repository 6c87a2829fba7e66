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
import { isRefusal, PackRegistryRepository, PackRepository, type UploadRegistered } from '@attune/persistence';
import { BLOB_STORE, type BlobStore } from '@attune/storage';
import { Inject, Injectable, Logger } from '@nestjs/common';
import busboy from 'busboy';
import type { Request, Response } from 'express';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Counter } from 'prom-client';
import type { Principal } from '../auth/auth.decorators';
import { ApiConfig } from '../config/api.config';

/** Multipart framing around the file: what a Content-Length may exceed the limit by. */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

const uploads = new Counter({ name: 'attune_pack_uploads_total', help: 'Pack uploads by outcome', labelNames: ['outcome'] });

interface StagedArchive {
  path: string;
  size: number;
  sha256: string;
}

export interface PackUploadResult extends UploadRegistered {
  warnings: string[];
}

/** Raised while receiving the body: answers 413 and stops reading. */
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
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
  ) {}

  async upload(principal: Principal, req: Request, res: Response): Promise<PackUploadResult> {
    // Refusing before the body is read: close the connection rather than drain a large body.
    const refuse = (err: DomainError): never => {
      res.setHeader('Connection', 'close');
      uploads.inc({ outcome: 'refused' });
      throw err;
    };
    if (!/^multipart\/form-data\s*;/i.test(req.headers['content-type'] ?? '')) {
      refuse(new DomainError('BAD_REQUEST', 'the upload must be multipart/form-data with the .tar.gz in the field "pack"'));
    }
    const max = this.config.packMaxUploadBytes;
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > max + MULTIPART_OVERHEAD_BYTES) {
      refuse(new DomainError('PAYLOAD_TOO_LARGE', `the pack archive exceeds the limit of ${max} bytes`));
    }
    const dir = join(this.config.packStagingDir, randomUUID());
    await mkdir(dir, { recursive: true, mode: 0o700 });
    try {
      let staged: StagedArchive;
      try {
        staged = await this.receive(req, join(dir, 'pack.tar.gz'), max);
      } catch (err) {
        res.setHeader('Connection', 'close');
        if (err instanceof TooLarge) throw new DomainError('PAYLOAD_TOO_LARGE', `the pack archive exceeds the limit of ${max} bytes`);
        if (err instanceof DomainError) throw err;
        throw new DomainError('BAD_REQUEST', `the upload could not be read: ${(err as Error).message}`);
      }
      const result = await this.register(staged, dir, principal.kind === 'user' ? principal.id : null);
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
      definition = await readPackDefinition(join(tree, root), new Set(files.map((f) => f.path)));
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

  /**
   * Streams the multipart body: the one file part, `pack`, goes to `target` while SHA-256 and
   * the size are computed. Any other part is refused (422), as is a missing `pack`.
   */
  private receive(req: Request, target: string, maxBytes: number): Promise<StagedArchive> {
    return new Promise<StagedArchive>((resolve, reject) => {
      let bb: busboy.Busboy;
      try {
        bb = busboy({ headers: req.headers, limits: { files: 1, fields: 0, fieldNameSize: 100, fileSize: maxBytes + 1 } });
      } catch (err) {
        reject(new DomainError('BAD_REQUEST', `not a multipart body: ${(err as Error).message}`));
        return;
      }
      let settled = false;
      let writing: Promise<StagedArchive> | undefined;
      const fail = (err: unknown) => {
        if (settled) return;
        settled = true;
        req.unpipe(bb);
        bb.removeAllListeners('file');
        bb.on('error', () => undefined);
        reject(err);
      };
      const unexpected = (name: string) =>
        fail(new DomainError('VALIDATION_ERROR', 'unexpected multipart field', [{ field: name, message: 'is not accepted; send the .tar.gz in the field "pack"' }]));
      bb.on('field', (name) => unexpected(name));
      bb.on('fieldsLimit', () => unexpected('(field)'));
      bb.on('filesLimit', () => unexpected('(second file)'));
      bb.on('file', (name, stream: Readable) => {
        if (name !== 'pack') {
          stream.resume();
          unexpected(name);
          return;
        }
        writing = this.stage(stream, target, maxBytes);
        writing.catch(fail);
      });
      bb.on('error', (err: Error) => fail(err));
      bb.on('close', () => {
        if (settled) return;
        if (!writing) {
          fail(new DomainError('VALIDATION_ERROR', 'no pack archive in the upload', [{ field: 'pack', message: 'is required: a .tar.gz file' }]));
          return;
        }
        writing.then((staged) => {
          if (settled) return;
          settled = true;
          resolve(staged);
        }, fail);
      });
      req.on('aborted', () => fail(new Error('the client closed the connection during the upload')));
      req.pipe(bb);
    });
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

/** What an archive or definition check failure answers: 413 for size, 422 with details otherwise. */
export function translateCheckFailure(err: unknown): unknown {
  if (err instanceof PackArchiveError) {
    if (err.problem === 'too_large') return new DomainError('PAYLOAD_TOO_LARGE', `pack archive refused: ${err.message}`);
    return new DomainError('VALIDATION_ERROR', `pack archive refused: ${err.message}`, [{ field: err.entry ?? 'pack', message: err.message }]);
  }
  if (err instanceof PackDefinitionError) return new DomainError('VALIDATION_ERROR', err.message, err.details);
  return err;
}
