import { DomainError } from '@attune/contracts';
import { ExecutionRepository, type PackVersionEntity } from '@attune/persistence';
import { BLOB_STORE, type BlobStore } from '@attune/storage';
import { Inject, Injectable } from '@nestjs/common';
import type { DownloadableBlob } from '../common/http/blob';
import { PacksService } from './packs.service';
import { found } from '../common/found';

/** Reading uploaded pack archives from the blob store: by pack and digest, or the one an execution runs. */
@Injectable()
export class PackArchives {
  constructor(
    private readonly packs: PacksService,
    private readonly executions: ExecutionRepository,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
  ) {}

  async ofPack(ref: string, digest: string): Promise<DownloadableBlob> {
    return this.blob(await this.packs.version(ref, digest));
  }

  /** The archive registered when the execution was scheduled (the route lets an execution token name only its own). */
  async ofExecution(id: number): Promise<DownloadableBlob> {
    const execution = found(await this.executions.findById(id), `execution ${id}`);
    if (!execution.packDigest) throw new DomainError('NOT_FOUND', `execution ${id} runs no uploaded pack archive`);
    return this.blob(await this.packs.version(execution.actionRef.split('.')[0], execution.packDigest));
  }

  /** The archive as a blob to send: its digest is its SHA-256 (ETag, X-Checksum-Sha256). */
  private blob(version: PackVersionEntity): DownloadableBlob {
    return {
      size: Number(version.sizeBytes),
      contentType: 'application/gzip',
      sha256: version.digest,
      fileName: `${version.packRef}-${version.digest.slice(0, 12)}.tar.gz`,
      open: (range) =>
        this.blobs.get(version.blobKey, range).catch((err: { code?: string }) => {
          if (err?.code === 'BLOB_NOT_FOUND') throw new DomainError('NOT_FOUND', `the archive of pack "${version.packRef}" ${version.digest} is missing from storage`);
          throw err;
        }),
    };
  }
}
