import {
  type ArtifactCleanupReportV1,
  type ArtifactCommitV1,
  type ArtifactRecordV1,
  type ArtifactVersionRecordV1,
  DomainError,
  MessageTypes,
  newUploadKey,
} from '@attune/contracts';
import { MessagePublisher } from '@attune/messaging';
import { type Artifact, type ArtifactFilter, ArtifactRepository, type ArtifactVersion, ArtifactVersionRepository, ExecutionRepository, type ListPage, type ListRequest } from '@attune/persistence';
import { BLOB_STORE, type BlobStore } from '@attune/storage';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Principal } from '../auth/auth.decorators';
import { requestService } from '../common/service-request';
import { ApiConfig } from '../config/api.config';
import type { CleanupDto, CreateArtifactDto, CreateJsonVersionDto, UpdateArtifactDto } from './artifact.dto';
import { checkChange, checkContentWrite, checkCreate, checkVersionExecution, writer } from './artifact-write-policy';
import { found } from '../common/found';

/** What a staged upload measured, and how to commit it. */
export interface StagedUpload {
  key: string;
  size: number;
  sha256: string;
  contentType: string;
  execution: number | null;
  /** The upload holds the content gzip-compressed, in `storedSize` bytes. */
  encoding?: 'gzip';
  storedSize?: number;
}

/**
 * The api's side of artifacts: reads straight from Postgres (artifact-store is the only writer),
 * every change as a command to artifact-store by request/reply, and the access rule of
 * execution tokens: an action reaches the artifacts of its own execution only.
 */
/** Commit failures after which the upload may have become a blob: it must not be deleted here. */
const UNCERTAIN_COMMIT_CODES = new Set(['SERVICE_UNAVAILABLE', 'INTERNAL_ERROR']);

@Injectable()
export class ArtifactsService {
  private readonly logger = new Logger(ArtifactsService.name);

  constructor(
    private readonly artifacts: ArtifactRepository,
    private readonly versionRows: ArtifactVersionRepository,
    private readonly executions: ExecutionRepository,
    private readonly publisher: MessagePublisher,
    private readonly config: ApiConfig,
    @Inject(BLOB_STORE) private readonly store: BlobStore,
  ) {}

  // ---------------------------------------------------------------- reads

  async get(principal: Principal, id: number): Promise<Artifact> {
    const artifact = found(await this.artifacts.findById(id), `artifact ${id}`);
    this.checkAccess(principal, artifact);
    return artifact;
  }

  async getByRef(principal: Principal, ref: string): Promise<Artifact> {
    const artifact = found(await this.artifacts.findByRef(ref), `artifact "${ref}"`);
    this.checkAccess(principal, artifact);
    return artifact;
  }

  /**
   * An execution token lists the artifacts of its own execution; a workflow task's token may
   * instead ask for those of its own run (`workflow_execution` = its run), any task of it.
   */
  async list(principal: Principal, filter: ArtifactFilter, reqOrPage: ListRequest | number, perPage?: number): Promise<ListPage<Artifact>> {
    if (principal.kind === 'execution') {
      if (filter.workflowExecution !== undefined) {
        if (filter.workflowExecution !== principal.workflowExecution) {
          throw new DomainError('FORBIDDEN', 'an execution token may only list the artifacts of its own workflow run');
        }
      } else {
        if (filter.execution !== undefined && filter.execution !== principal.executionId) {
          throw new DomainError('FORBIDDEN', 'an execution token may only list the artifacts of its own execution');
        }
        filter = { ...filter, execution: principal.executionId };
      }
    }
    return this.artifacts.list(filter, reqOrPage, perPage);
  }

  async versions(principal: Principal, id: number): Promise<ArtifactVersion[]> {
    await this.get(principal, id);
    return this.versionRows.listVersions(id);
  }

  /** One version, or the latest when `version` is undefined. */
  async version(principal: Principal, id: number, version?: number): Promise<{ artifact: Artifact; version: ArtifactVersion }> {
    const artifact = await this.get(principal, id);
    const found = version === undefined ? await this.versionRows.findLatestVersion(id) : await this.versionRows.findVersion(id, version);
    if (!found) {
      throw new DomainError('NOT_FOUND', version === undefined ? `artifact ${id} has no versions` : `artifact ${id} has no version ${version}`);
    }
    return { artifact, version: found };
  }

  // ---------------------------------------------------------------- commands

  async create(principal: Principal, dto: CreateArtifactDto): Promise<ArtifactRecordV1> {
    let execution = dto.execution ?? null;
    if (principal.kind === 'execution') {
      if (execution !== null && execution !== principal.executionId) {
        throw new DomainError('FORBIDDEN', 'an execution token may only create artifacts of its own execution');
      }
      execution = principal.executionId;
    }
    checkCreate(principal, dto.ref, execution);
    return this.command<ArtifactRecordV1>(
      MessageTypes.ArtifactCreate,
      {
        ...dto,
        execution,
        ...(await this.workflowTaskOf(principal, execution)),
        origin: principal.kind === 'execution' ? 'action' : 'user',
        created_by: writer(principal),
      },
      execution,
    );
  }

  /**
   * The workflow run and task an artifact of `execution` records: a task's token names them (the
   * executor signed them); for an artifact an admin links to an execution, its row says.
   */
  private async workflowTaskOf(principal: Principal, execution: number | null): Promise<{ workflow_execution?: number; task_name?: string }> {
    if (principal.kind === 'execution') {
      return principal.workflowExecution ? { workflow_execution: principal.workflowExecution, task_name: principal.taskName } : {};
    }
    if (execution === null) return {};
    const task = (await this.executions.findById(execution))?.workflowTask;
    return task ? { workflow_execution: task.workflow_execution, task_name: task.task_name } : {};
  }

  async update(principal: Principal, id: number, dto: UpdateArtifactDto): Promise<ArtifactRecordV1> {
    checkChange(principal, await this.get(principal, id));
    return this.command<ArtifactRecordV1>(MessageTypes.ArtifactUpdate, { ...dto, artifact_id: id });
  }

  async delete(principal: Principal, id: number): Promise<void> {
    await this.get(principal, id);
    await this.command(MessageTypes.ArtifactDelete, { artifact_id: id });
  }

  async appendProgress(principal: Principal, id: number, entry: unknown): Promise<ArtifactRecordV1> {
    const artifact = await this.get(principal, id);
    checkContentWrite(principal, artifact);
    this.checkOwnWrite(principal, artifact);
    if (artifact.type !== 'progress') {
      throw new DomainError('BAD_REQUEST', `artifact ${id} is of type ${artifact.type}; progress entries go to progress artifacts only`);
    }
    return this.command<ArtifactRecordV1>(MessageTypes.ArtifactProgressAppend, { artifact_id: id, entry }, artifact.execution);
  }

  async deleteVersion(principal: Principal, id: number, version: number): Promise<void> {
    await this.get(principal, id);
    await this.command(MessageTypes.ArtifactVersionDelete, { artifact_id: id, version });
  }

  cleanup(dto: CleanupDto): Promise<ArtifactCleanupReportV1> {
    return this.command<ArtifactCleanupReportV1>(MessageTypes.ArtifactCleanup, { ...dto }, null, this.config.artifactCommitTimeoutMs);
  }

  /** A version from a JSON body: small by construction (the JSON body limit), staged like an upload. */
  async createJsonVersion(principal: Principal, id: number, dto: CreateJsonVersionDto): Promise<ArtifactVersionRecordV1> {
    const artifact = await this.writableForVersions(principal, id);
    const contentType = dto.content_type ?? 'application/json';
    const asText = typeof dto.content === 'string' && /^text\//i.test(contentType);
    const bytes = Buffer.from(asText ? (dto.content as string) : JSON.stringify(dto.content), 'utf8');
    if (bytes.length > this.config.artifactMaxUploadBytes) {
      throw new DomainError('PAYLOAD_TOO_LARGE', `content exceeds the limit of ${this.config.artifactMaxUploadBytes} bytes`);
    }
    const key = this.newUploadKey();
    const put = await this.store.put(key, bytes, { contentType, recordDigest: false });
    return this.commit(principal, artifact, {
      key,
      size: put.size,
      sha256: put.sha256,
      contentType,
      execution: this.versionExecution(principal, artifact, dto.execution),
    });
  }

  // ---------------------------------------------------------------- uploads (used by ArtifactUploads)

  /**
   * The artifact a principal may add versions to: its own execution's for a token, one of an
   * execution for an admin only, never a log or a progress artifact.
   */
  async writableForVersions(principal: Principal, id: number): Promise<Artifact> {
    const artifact = await this.get(principal, id);
    checkContentWrite(principal, artifact);
    this.checkOwnWrite(principal, artifact);
    if (artifact.type === 'progress') {
      throw new DomainError('BAD_REQUEST', `artifact ${id} is a progress artifact: append entries to /progress instead of uploading versions`);
    }
    return artifact;
  }

  /** The execution a new version records: the given one (a token may only name its own), else the artifact's. */
  versionExecution(principal: Principal, artifact: Artifact, requested?: number | null): number | null {
    if (principal.kind === 'execution') {
      if (requested != null && requested !== principal.executionId) {
        throw new DomainError('FORBIDDEN', 'an execution token may only record its own execution on a version');
      }
      return principal.executionId;
    }
    checkVersionExecution(principal, requested);
    return requested ?? artifact.execution;
  }

  newUploadKey(): string {
    return newUploadKey(randomUUID());
  }

  /**
   * Asks artifact-store to turn the upload into the next version. A refusal (a 4xx: the commit's
   * transaction did not happen) removes the upload at once; with no answer, or an internal
   * error, the commit may have adopted it, so it stays for the sweep, which deletes it only if no
   * blob lives there.
   */
  async commit(principal: Principal, artifact: Artifact, staged: StagedUpload): Promise<ArtifactVersionRecordV1> {
    const cmd: ArtifactCommitV1 = {
      artifact_id: artifact.id,
      staged_key: staged.key,
      size_bytes: staged.size,
      sha256: staged.sha256,
      content_type: staged.contentType,
      execution: staged.execution,
      created_by: writer(principal),
      ...(staged.encoding ? { encoding: staged.encoding, stored_size: staged.storedSize } : {}),
    };
    return this.commitStaged<ArtifactVersionRecordV1>(MessageTypes.ArtifactCommit, cmd, staged.key, staged.execution);
  }

  /**
   * Sends a commit of a staged upload to artifact-store. A refusal (a 4xx: the commit's
   * transaction did not happen) removes the upload at once; with no answer, or an internal
   * error, the commit may have adopted it, so it stays for the sweep, which deletes it only if no
   * blob lives there.
   */
  async commitStaged<T>(type: string, cmd: object, stagedKey: string, execution: number | null, timeoutMs = this.config.artifactCommitTimeoutMs): Promise<T> {
    try {
      return await this.command<T>(type, cmd, execution, timeoutMs);
    } catch (err) {
      if (err instanceof DomainError && !UNCERTAIN_COMMIT_CODES.has(err.code)) {
        await this.store.delete(stagedKey).catch((e: unknown) => this.logger.warn({ key: stagedKey, err: (e as Error).message }, 'could not delete a refused upload'));
      }
      throw err;
    }
  }

  /**
   * What an execution token may read: the artifacts of its own execution, and for a workflow
   * task those of every task of its own run. Nothing of another run or execution.
   */
  checkAccess(principal: Principal, artifact: Artifact): void {
    if (principal.kind !== 'execution' || artifact.execution === principal.executionId) return;
    if (principal.workflowExecution !== undefined && artifact.workflowExecution === principal.workflowExecution) return;
    throw new DomainError('FORBIDDEN', 'an execution token may only reach the artifacts of its own execution (or of its own workflow run)');
  }

  /** A task reads its whole run's artifacts but writes only its own execution's. */
  private checkOwnWrite(principal: Principal, artifact: Artifact): void {
    if (principal.kind === 'execution' && artifact.execution !== principal.executionId) {
      throw new DomainError('FORBIDDEN', `artifact ${artifact.id} belongs to another execution: an execution token writes only its own`);
    }
  }

  /**
   * Sends a command to artifact-store and answers its reply. Its DomainErrors come back as they
   * are (404, 409, 400…); no answer in time, or no artifact-store at all, is a 503.
   */
  private command<T>(type: string, payload: object, execution?: number | null, timeoutMs = this.config.artifactRequestTimeoutMs): Promise<T> {
    return requestService<T>(this.publisher, 'artifact-store', type, payload, {
      timeoutMs,
      correlationId: execution ? `execution:${execution}` : undefined,
      logger: this.logger,
    });
  }

}
