import { DomainError } from '@attune/contracts';
import { ArtifactRepository, type ExecutionEntity, ExecutionRepository } from '@attune/persistence';
import { BLOB_STORE, type BlobStore } from '@attune/storage';
import { Controller, Get, Inject, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AllowExecutionToken, CurrentPrincipal, type Principal, RequireRole } from '../auth/auth.decorators';
import { idPipe } from '../common/id.pipe';
import { ApiDataResponse, ApiErrors } from '../common/openapi.decorators';
import { ArtifactSummaryDto, ManifestDto, type ManifestVersionDto, toSummaryDto } from './artifact.dto';
import { ApiDataListResponse } from './artifact-openapi';

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
@ApiTags('executions')
@ApiBearerAuth()
@ApiErrors(401, 403)
@Controller('api/v1/executions')
export class ExecutionArtifactsController {
  constructor(
    private readonly executions: ExecutionRepository,
    private readonly artifacts: ArtifactRepository,
    @Inject(BLOB_STORE) private readonly store: BlobStore,
  ) {}

  @Get(':id/artifacts')
  @RequireRole('viewer')
  @AllowExecutionToken()
  @ApiOperation({ summary: 'Artifacts linked to an execution, oldest first' })
  @ApiDataListResponse(ArtifactSummaryDto)
  @ApiErrors(400, 404)
  async list(@CurrentPrincipal() principal: Principal, @Param('id', idPipe) id: number): Promise<{ data: ArtifactSummaryDto[] }> {
    await this.execution(principal, id);
    return { data: (await this.artifacts.listByExecution(id)).map(toSummaryDto) };
  }

  @Get(':id/manifest')
  @RequireRole('viewer')
  @AllowExecutionToken()
  @ApiOperation({ summary: "The execution's durable run record: its artifacts and every version with size, sha256 and download path" })
  @ApiDataResponse(ManifestDto)
  @ApiErrors(400, 404)
  async manifest(@CurrentPrincipal() principal: Principal, @Param('id', idPipe) id: number): Promise<{ data: ManifestDto }> {
    const execution = await this.execution(principal, id);
    const artifacts = await this.artifacts.listByExecution(id);
    const versions = await this.artifacts.listVersionsOf(artifacts.map((a) => a.id));
    const keys = await this.artifacts.blobKeys([...new Set(versions.map((v) => v.sha256))]);
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
        created: new Date(v.created).toISOString(),
        stored: stored[i],
      });
      byArtifact.set(v.artifact, list);
    });
    return {
      data: {
        execution: execution.id,
        action_ref: execution.actionRef,
        status: execution.status,
        artifacts: artifacts.map((a) => ({ id: a.id, ref: a.ref, type: a.type, name: a.name, versions: byArtifact.get(a.id) ?? [] })),
      },
    };
  }

  private async execution(principal: Principal, id: number): Promise<ExecutionEntity> {
    if (principal.kind === 'execution' && principal.executionId !== id) {
      throw new DomainError('FORBIDDEN', 'an execution token may only read its own execution');
    }
    const execution = await this.executions.findById(id);
    if (!execution) throw new DomainError('NOT_FOUND', `execution ${id} not found`);
    return execution;
  }
}
