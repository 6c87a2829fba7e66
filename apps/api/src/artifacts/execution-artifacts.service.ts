import { ArtifactRepository, ArtifactVersionRepository, BlobRepository, type ExecutionEntity, ExecutionRepository } from '@attune/persistence';
import { BLOB_STORE, type BlobStore } from '@attune/storage';
import { Inject, Injectable } from '@nestjs/common';
import { type ArtifactSummaryDto, type ManifestDto, type ManifestVersionDto, toSummaryDto } from './artifact.dto';
import { found } from '../common/found';
import { iso } from '../common/records';

/** HEAD requests to the blob store at once while building a manifest. */
const MANIFEST_CONCURRENCY = 8;

async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * The artifacts of one execution, and its manifest: the durable run record, built on every
 * request from Postgres (artifacts, versions) and the blob store (is each version's content
 * there?), so it is the same after any restart of any service.
 */
@Injectable()
export class ExecutionArtifacts {
  constructor(
    private readonly executions: ExecutionRepository,
    private readonly artifacts: ArtifactRepository,
    private readonly versions: ArtifactVersionRepository,
    private readonly blobs: BlobRepository,
    @Inject(BLOB_STORE) private readonly store: BlobStore,
  ) {}

  async list(id: number): Promise<ArtifactSummaryDto[]> {
    await this.execution(id);
    return (await this.artifacts.listByExecution(id)).map(toSummaryDto);
  }

  async manifest(id: number): Promise<ManifestDto> {
    const execution = await this.execution(id);
    const artifacts = await this.artifacts.listByExecution(id);
    const versions = await this.versions.listVersionsOf(artifacts.map((a) => a.id));
    const keys = await this.blobs.blobKeys([...new Set(versions.map((v) => v.sha256))]);
    const stored = await mapLimited(versions, MANIFEST_CONCURRENCY, (v) => {
      const key = keys.get(v.sha256);
      return key ? this.store.exists(key).catch(() => false) : Promise.resolve(false);
    });
    const byArtifact = new Map<number, ManifestVersionDto[]>();
    versions.forEach((v, i) => {
      const list = byArtifact.get(v.artifact) ?? [];
      list.push({
        version: v.version,
        size_bytes: v.sizeBytes,
        sha256: v.sha256,
        content_type: v.contentType,
        download_url: `/api/v1/artifacts/${v.artifact}/versions/${v.version}/download`,
        created: iso(v.created),
        stored: stored[i],
      });
      byArtifact.set(v.artifact, list);
    });
    return {
      execution: execution.id,
      action_ref: execution.actionRef,
      status: execution.status,
      artifacts: artifacts.map((a) => ({ id: a.id, ref: a.ref, type: a.type, name: a.name, versions: byArtifact.get(a.id) ?? [] })),
    };
  }

  private async execution(id: number): Promise<ExecutionEntity> {
    return found(await this.executions.findById(id), `execution ${id}`);
  }
}
