import { ARTIFACT_EXAMPLE, CREATE_ARTIFACT_EXAMPLES } from '../common/openapi-examples';
import type { Artifact, ArtifactVersion } from '@attune/persistence';
import { applyDecorators, Body, Delete, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiHeader, ApiOperation, ApiProduces, ApiQuery, ApiResponse } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AllowExecutionToken, CurrentPrincipal, type Principal, RequireRole } from '../auth/auth.decorators';
import { idPipe } from '../common/id.pipe';
import {
  ApiCommandRoute,
  ApiController,
  ApiCreateRoute,
  ApiCursorPaginatedResponse,
  ApiDataListResponse,
  ApiDataResponse,
  ApiErrors,
  ApiGetRoute,
  ApiUpdateRoute,
} from '../common/openapi.decorators';
import { createdRange, cursorPaginated, type CursorPaginated, listRequest } from '../common/pagination';
import {
  ArtifactDto,
  ArtifactListQuery,
  ArtifactVersionDto,
  CleanupDto,
  CleanupReportDto,
  CreateArtifactDto,
  CreateJsonVersionDto,
  DeletedDto,
  originsOf,
  ProgressEntryDto,
  toArtifactDto,
  toVersionDto,
  UpdateArtifactDto,
  UploadVersionDto,
} from './artifact.dto';
import { ArtifactDownloads } from './artifact-downloads.service';
import { ArtifactUploads } from './artifact-uploads.service';
import { closeUnlessRead, multipartBody } from '../common/http/receive-upload';
import { sendBlob } from '../common/http/send-blob';
import { ArtifactsService } from './artifacts.service';
import { sendRedirect } from './direct-transfers.controller';
import { DirectTransfers, REDIRECT_QUERY } from './direct-transfers.service';

type Data<T> = { data: T };

const REDIRECT_HEADERS = {
  Location: { description: 'Presigned GET of the content, valid for ATTUNE_S3_PRESIGN_TTL_SECONDS', schema: { type: 'string' } },
  'X-Checksum-Sha256': { description: 'Lowercase hex SHA-256 of the whole content: check what the bucket sends against it', schema: { type: 'string' } },
};

const DOWNLOAD_HEADERS = {
  'X-Checksum-Sha256': { description: 'Lowercase hex SHA-256 of the whole content', schema: { type: 'string' } },
  ETag: { description: 'The quoted sha256', schema: { type: 'string' } },
  'Content-Disposition': { description: 'attachment; filename=<artifact name or ref>', schema: { type: 'string' } },
};

/**
 * Artifacts: metadata, progress entries, immutable versions (JSON or streamed multipart
 * uploads) and downloads. Reads come from Postgres; every change is a command to
 * artifact-store. Execution tokens reach their own execution's artifacts only.
 */
@ApiController('artifacts', 'api/v1/artifacts')
export class ArtifactsController {
  constructor(
    private readonly artifacts: ArtifactsService,
    private readonly uploads: ArtifactUploads,
    private readonly downloads: ArtifactDownloads,
    private readonly direct: DirectTransfers,
  ) {}

  @ApiCreateRoute('operator', '', ArtifactDto, [404, 409, 422, 503], {
    summary: 'Create an artifact (an execution token creates one linked to its own execution)',
    answer: 'Created',
    example: ARTIFACT_EXAMPLE,
  })
  @AllowExecutionToken()
  @ApiBody({ type: CreateArtifactDto, examples: CREATE_ARTIFACT_EXAMPLES })
  async create(@CurrentPrincipal() principal: Principal, @Body() body: CreateArtifactDto): Promise<Data<ArtifactDto>> {
    return { data: toArtifactDto(await this.artifacts.create(principal, body)) };
  }

  @Get()
  @RequireRole('viewer')
  @AllowExecutionToken()
  @ApiOperation({ summary: 'List artifacts, newest first', description: 'Execution logs are left out unless `origin=log` or `origin=all` asks for them; each execution still lists its logs at /api/v1/executions/{id}/artifacts.' })
  @ApiCursorPaginatedResponse(ArtifactDto)
  @ApiErrors(422)
  async list(@CurrentPrincipal() principal: Principal, @Query() q: ArtifactListQuery): Promise<CursorPaginated<ArtifactDto>> {
    const page = await this.artifacts.list(
      principal,
      {
        type: q.type,
        scope: q.scope,
        owner: q.owner,
        execution: q.execution,
        workflowExecution: q.workflow_execution,
        taskName: q.task,
        name: q.name,
        ...createdRange(q),
        origins: originsOf(q.origin),
      },
      listRequest(q),
    );
    return cursorPaginated(page, q, toArtifactDto);
  }

  @ApiCommandRoute('admin', 'cleanup', CleanupReportDto, [422, 503], {
    summary: 'Delete versions older than older_than (and artifacts with nothing newer); dry_run reports without deleting',
  })
  async cleanup(@Body() body: CleanupDto): Promise<Data<CleanupReportDto>> {
    return { data: await this.artifacts.cleanup(body) };
  }

  @ApiGetRoute('viewer', 'ref/:ref', ArtifactDto, [404], { summary: 'Get an artifact by ref' })
  @AllowExecutionToken()
  async getByRef(@CurrentPrincipal() principal: Principal, @Param('ref') ref: string): Promise<Data<ArtifactDto>> {
    return { data: toArtifactDto(await this.artifacts.getByRef(principal, ref)) };
  }

  @ApiGetRoute('viewer', ':id', ArtifactDto, [400, 404], { summary: 'One artifact by id' })
  @AllowExecutionToken()
  async get(@CurrentPrincipal() principal: Principal, @Param('id', idPipe) id: number): Promise<Data<ArtifactDto>> {
    return { data: toArtifactDto(await this.artifacts.get(principal, id)) };
  }

  @ApiUpdateRoute('operator', ':id', ArtifactDto, [400, 404, 422, 503], { summary: 'Change an artifact; a smaller versions retention applies at once' })
  async update(@CurrentPrincipal() principal: Principal, @Param('id', idPipe) id: number, @Body() body: UpdateArtifactDto): Promise<Data<ArtifactDto>> {
    return { data: toArtifactDto(await this.artifacts.update(principal, id, body)) };
  }

  @Delete(':id')
  @RequireRole('admin')
  @ApiOperation({ summary: 'Delete an artifact and all its versions' })
  @ApiDataResponse(DeletedDto)
  @ApiErrors(400, 404, 503)
  async delete(@CurrentPrincipal() principal: Principal, @Param('id', idPipe) id: number): Promise<Data<DeletedDto>> {
    await this.artifacts.delete(principal, id);
    return { data: { deleted: true } };
  }

  @ApiCommandRoute('operator', ':id/progress', ArtifactDto, [400, 404, 422, 503], { summary: 'Append an entry to a progress artifact (400 for other types)' })
  @AllowExecutionToken()
  async appendProgress(
    @CurrentPrincipal() principal: Principal,
    @Param('id', idPipe) id: number,
    @Body() body: ProgressEntryDto,
  ): Promise<Data<ArtifactDto>> {
    return { data: toArtifactDto(await this.artifacts.appendProgress(principal, id, body.entry)) };
  }

  @Get(':id/versions')
  @RequireRole('viewer')
  @AllowExecutionToken()
  @ApiOperation({ summary: 'Versions of an artifact, newest first' })
  @ApiDataListResponse(ArtifactVersionDto)
  @ApiErrors(400, 404)
  async versions(@CurrentPrincipal() principal: Principal, @Param('id', idPipe) id: number): Promise<Data<ArtifactVersionDto[]>> {
    return { data: (await this.artifacts.versions(principal, id)).map(toVersionDto) };
  }

  @ApiCreateRoute('operator', ':id/versions', ArtifactVersionDto, [400, 404, 413, 422, 503], { summary: 'Create a version from a JSON body' })
  @AllowExecutionToken()
  async createJsonVersion(
    @CurrentPrincipal() principal: Principal,
    @Param('id', idPipe) id: number,
    @Body() body: CreateJsonVersionDto,
  ): Promise<Data<ArtifactVersionDto>> {
    return { data: toVersionDto(await this.artifacts.createJsonVersion(principal, id, body)) };
  }

  @ApiCreateRoute('operator', ':id/versions/upload', ArtifactVersionDto, [400, 404, 413, 422, 503], {
    summary: 'Upload a version (multipart field "file"), streamed into storage while hashed',
    description:
      'Optional fields `size` and `sha256`, sent before the file, are checked against it; with `size` the content is stored ' +
      'in one write of known length. Identical content is stored once: a version whose bytes are stored already adds no blob.',
  })
  @AllowExecutionToken()
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: UploadVersionDto })
  async upload(
    @CurrentPrincipal() principal: Principal,
    @Param('id', idPipe) id: number,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Data<ArtifactVersionDto>> {
    return { data: toVersionDto(await closeUnlessRead(req, res, () => this.uploads.upload(principal, id, multipartBody(req)))) };
  }

  @ApiGetRoute('viewer', ':id/versions/latest', ArtifactVersionDto, [400, 404], { summary: 'The newest version of an artifact' })
  @AllowExecutionToken()
  async latest(@CurrentPrincipal() principal: Principal, @Param('id', idPipe) id: number): Promise<Data<ArtifactVersionDto>> {
    return { data: toVersionDto((await this.artifacts.version(principal, id)).version) };
  }

  @ApiGetRoute('viewer', ':id/versions/:version', ArtifactVersionDto, [400, 404], { summary: 'One version of an artifact' })
  @AllowExecutionToken()
  async version(
    @CurrentPrincipal() principal: Principal,
    @Param('id', idPipe) id: number,
    @Param('version', idPipe) version: number,
  ): Promise<Data<ArtifactVersionDto>> {
    return { data: toVersionDto((await this.artifacts.version(principal, id, version)).version) };
  }

  @Delete(':id/versions/:version')
  @ApiOperation({ summary: 'Delete one version of an artifact' })
  @RequireRole('admin')
  @ApiDataResponse(DeletedDto)
  @ApiErrors(400, 404, 503)
  async deleteVersion(
    @CurrentPrincipal() principal: Principal,
    @Param('id', idPipe) id: number,
    @Param('version', idPipe) version: number,
  ): Promise<Data<DeletedDto>> {
    await this.artifacts.deleteVersion(principal, id, version);
    return { data: { deleted: true } };
  }

  @Get(':id/download')
  @ApiDownload('Download the latest version (Range supported; checked against its sha256)', 'bytes=first-last, bytes=first- or bytes=-suffix')
  async downloadLatest(
    @CurrentPrincipal() principal: Principal,
    @Param('id', idPipe) id: number,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const { artifact, version } = await this.artifacts.version(principal, id);
    await this.sendVersion(req, res, artifact, version);
  }

  @Get(':id/versions/:version/download')
  @ApiDownload('Download one version (Range supported; checked against its sha256)')
  async downloadVersion(
    @CurrentPrincipal() principal: Principal,
    @Param('id', idPipe) id: number,
    @Param('version', idPipe) versionNumber: number,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const { artifact, version } = await this.artifacts.version(principal, id, versionNumber);
    await this.sendVersion(req, res, artifact, version);
  }

  /** `?redirect=true` on S3: a 302 to a presigned GET; otherwise the bytes, through sendBlob. */
  private async sendVersion(req: Request, res: Response, artifact: Artifact, version: ArtifactVersion): Promise<void> {
    const direct = req.query.redirect === 'true' ? await this.direct.downloadUrl(artifact, version) : null;
    if (direct) return sendRedirect(res, version.sha256, direct);
    await sendBlob(req, res, this.downloads.blob(artifact, version));
  }
}

/** What both download routes declare: roles, the blob answers (200, 206, 416) and their headers. */
function ApiDownload(summary: string, rangeDescription?: string): MethodDecorator {
  return applyDecorators(
    RequireRole('viewer'),
    AllowExecutionToken(),
    ApiOperation({
      summary,
      description: 'Content found corrupt (by this check or the integrity scrub) is refused with 503, `details.reason` CORRUPT_CONTENT.',
    }),
    ApiProduces('application/octet-stream'),
    ApiHeader({ name: 'Range', required: false, ...(rangeDescription ? { description: rangeDescription } : {}) }),
    ApiQuery(REDIRECT_QUERY),
    ApiResponse({ status: 302, description: 'With redirect=true on S3: Location is a presigned GET', headers: REDIRECT_HEADERS }),
    ApiResponse({ status: 200, description: 'The content', headers: DOWNLOAD_HEADERS }),
    ApiResponse({ status: 206, description: 'The requested range', headers: DOWNLOAD_HEADERS }),
    ApiResponse({ status: 416, description: 'Range not satisfiable' }),
    ApiErrors(400, 404, 500, 503),
  );
}
