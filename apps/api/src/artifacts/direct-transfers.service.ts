import { type ArtifactDirectCommitV1, type ArtifactVersionRecordV1, DomainError, MessageTypes } from '@attune/contracts';
import { type Artifact, type ArtifactVersion, BlobRepository } from '@attune/persistence';
import { BLOB_STORE, type BlobStore, type DirectDownloadTicket, type DirectTransfers as StoreDirectTransfers } from '@attune/storage';
import { Inject, Injectable } from '@nestjs/common';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Principal } from '../auth/auth.decorators';
import { ApiConfig } from '../config/api.config';
import { contentDisposition } from '../common/http/blob';
import { writer } from './artifact-write-policy';
import { ArtifactsService } from './artifacts.service';
import type { CommitUploadDto, DirectUploadDto, UploadUrlDto } from './direct-transfers.dto';

/** How long after its URL expires a commit handle is still taken (the PUT may end after the URL expired). */
const COMMIT_GRACE_MS = 3600_000;
const GENERIC_TYPE = 'application/octet-stream';

/** What a commit handle (upload_id) carries, signed by the api: nothing of it comes from the client at commit. */
interface UploadHandle {
  /** artifact id */
  a: number;
  /** staging key */
  k: string;
  s: number;
  h: string;
  /** content type */
  t: string;
  /** execution the version records */
  e: number | null;
  /** who asked for it (writer()): only they may commit it */
  w: string;
  /** last moment to commit (ms since the epoch) */
  x: number;
}

/** The `redirect` query parameter of the download routes. */
export const REDIRECT_QUERY = {
  name: 'redirect',
  required: false,
  enum: ['true', 'false'],
  description:
    'true: on the S3 driver answer 302 to a presigned GET of the content (the bytes bypass the api) with X-Checksum-Sha256; ' +
    'with the fs driver, or content stored compressed, the bytes are served as without it',
};

const proxiedUpload = (id: number) => `/api/v1/artifacts/${id}/versions/upload`;

/**
 * Direct transfers on S3: the bytes go between the client and the bucket through presigned
 * URLs, never through the api. An upload is a presigned PUT of one staging object (exact size
 * and SHA-256, both signed; S3 and MinIO check the digest), then a commit that artifact-store
 * verifies before the version exists. A download is a 302 to a presigned GET. The fs driver has
 * no such URLs: uploads answer 409 naming the proxied route, downloads are served as always.
 */
@Injectable()
export class DirectTransfers {
  private readonly handleKey: Buffer;

  constructor(
    private readonly artifacts: ArtifactsService,
    private readonly blobs: BlobRepository,
    private readonly config: ApiConfig,
    @Inject(BLOB_STORE) private readonly store: BlobStore,
  ) {
    this.handleKey = createHmac('sha256', config.jwtSecret).update('attune:direct-upload:v1').digest();
  }

  async uploadUrl(principal: Principal, id: number, dto: UploadUrlDto): Promise<DirectUploadDto> {
    const artifact = await this.artifacts.writableForVersions(principal, id);
    const direct = this.directOrRefuse(id);
    const max = Math.min(this.config.artifactMaxUploadBytes, direct.maxPutBytes);
    if (dto.size > max) {
      throw new DomainError('PAYLOAD_TOO_LARGE', `a direct upload carries at most ${max} bytes`, {
        ...(dto.size <= this.config.artifactMaxUploadBytes ? { upload: proxiedUpload(id) } : {}),
      });
    }
    const execution = this.artifacts.versionExecution(principal, artifact, dto.execution);
    const contentType = dto.content_type ?? artifact.contentType ?? GENERIC_TYPE;
    const sha256 = dto.sha256.toLowerCase();
    const key = this.artifacts.newUploadKey();
    const ticket = await direct.presignPut(key, { size: dto.size, sha256, contentType }, dto.expires_in);
    const handle: UploadHandle = { a: id, k: key, s: dto.size, h: sha256, t: contentType, e: execution, w: writer(principal), x: ticket.expiresAt.getTime() + COMMIT_GRACE_MS };
    return {
      upload_id: this.sign(handle),
      method: 'PUT',
      url: ticket.url,
      headers: ticket.headers,
      expires_at: ticket.expiresAt.toISOString(),
      commit_url: `/api/v1/artifacts/${id}/versions/commit`,
    };
  }

  async commit(principal: Principal, id: number, dto: CommitUploadDto): Promise<ArtifactVersionRecordV1> {
    const handle = this.verify(dto.upload_id);
    if (handle.a !== id) throw new DomainError('VALIDATION_ERROR', `this upload_id belongs to artifact ${handle.a}`, [{ field: 'upload_id', message: 'names another artifact' }]);
    if (handle.w !== writer(principal)) throw new DomainError('FORBIDDEN', 'only who asked for the upload URL may commit it');
    if (handle.x < Date.now()) throw new DomainError('VALIDATION_ERROR', 'this upload_id has expired; ask for a new upload URL', [{ field: 'upload_id', message: 'expired' }]);
    const artifact: Artifact = await this.artifacts.writableForVersions(principal, id);
    this.directOrRefuse(id);
    const cmd: ArtifactDirectCommitV1 = {
      artifact_id: artifact.id,
      staged_key: handle.k,
      size_bytes: handle.s,
      sha256: handle.h,
      content_type: handle.t,
      execution: handle.e,
      created_by: handle.w,
    };
    return this.artifacts.commitStaged<ArtifactVersionRecordV1>(MessageTypes.ArtifactDirectCommit, cmd, handle.k, handle.e);
  }

  /**
   * `?redirect=true` on a download: a presigned GET of the version's object. Null (serve the
   * bytes as usual) where there is nothing to redirect to: the fs driver, content stored
   * compressed, or a blob the integrity scrub found corrupt or that has no row (the proxied path
   * reports those).
   */
  async downloadUrl(artifact: Artifact, version: ArtifactVersion): Promise<DirectDownloadTicket | null> {
    const direct = this.store.direct;
    if (!direct) return null;
    const blob = await this.blobs.blobForDownload(version.sha256);
    if (!blob || blob.corruptSince || blob.encoding) return null;
    return direct.presignGet(blob.key, {
      contentDisposition: contentDisposition(`${artifact.name ?? artifact.ref}`),
      contentType: version.contentType,
    });
  }

  private directOrRefuse(id: number): StoreDirectTransfers {
    const direct = this.store.direct;
    if (!direct) {
      throw new DomainError(
        'CONFLICT',
        `direct uploads need the S3 storage driver; this server stores artifacts on its file system: upload through POST ${proxiedUpload(id)} instead`,
        { reason: 'DIRECT_TRANSFER_UNAVAILABLE', upload: proxiedUpload(id) },
      );
    }
    return direct;
  }

  private sign(handle: UploadHandle): string {
    const body = Buffer.from(JSON.stringify(handle)).toString('base64url');
    return `${body}.${createHmac('sha256', this.handleKey).update(body).digest('base64url')}`;
  }

  private verify(uploadId: string): UploadHandle {
    const invalid = () => new DomainError('VALIDATION_ERROR', 'upload_id is not one this server issued', [{ field: 'upload_id', message: 'unknown or altered' }]);
    const [body, mac, extra] = uploadId.split('.');
    if (!body || !mac || extra !== undefined) throw invalid();
    const want = createHmac('sha256', this.handleKey).update(body).digest();
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== want.length || !timingSafeEqual(given, want)) throw invalid();
    return JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as UploadHandle;
  }
}
