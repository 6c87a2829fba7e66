import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiHeader, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AllowExecutionToken, CurrentPrincipal, type Principal, RequireRole } from '../auth/auth.decorators';
import { idPipe } from '../common/id.pipe';
import { ApiDataResponse, ApiErrors, ApiPaginatedResponse } from '../common/openapi.decorators';
import { paginated, type Paginated } from '../common/pagination';
import {
  ArtifactDto,
  ArtifactListQuery,
  ArtifactVersionDto,
  CleanupDto,
  CleanupReportDto,
  CreateArtifactDto,
  CreateJsonVersionDto,
  DeletedDto,
  ProgressEntryDto,
  toArtifactDto,
  toVersionDto,
  UpdateArtifactDto,
  UploadVersionDto,
} from './artifact.dto';
import { ArtifactDownloads } from './artifact-downloads.service';
import { ApiDataListResponse } from './artifact-openapi';
import { ArtifactUploads } from './artifact-uploads.service';
import { ArtifactsService } from './artifacts.service';

type Data<T> = { data: T };

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
@ApiTags('artifacts')
@ApiBearerAuth()
@ApiErrors(401, 403)
@Controller('api/v1/artifacts')
export class ArtifactsController {
  constructor(
    private readonly artifacts: ArtifactsService,
    private readonly uploads: ArtifactUploads,
    private readonly downloads: ArtifactDownloads,
  ) {}

  @Post()
  @RequireRole('operator')
  @AllowExecutionToken()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create an artifact (an execution token creates one linked to its own execution)' })
  @ApiDataResponse(ArtifactDto, 201)
  @ApiErrors(404, 409, 422, 503)
  async create(@CurrentPrincipal() principal: Principal, @Body() body: CreateArtifactDto): Promise<Data<ArtifactDto>> {
    return { data: toArtifactDto(await this.artifacts.create(principal, body)) };
  }

  @Get()
  @RequireRole('viewer')
  @AllowExecutionToken()
  @ApiOperation({ summary: 'List artifacts, newest first' })
  @ApiPaginatedResponse(ArtifactDto)
  @ApiErrors(422)
  async list(@CurrentPrincipal() principal: Principal, @Query() q: ArtifactListQuery): Promise<Paginated<ArtifactDto>> {
    const { items, total } = await this.artifacts.list(
      principal,
      {
        type: q.type,
        scope: q.scope,
        owner: q.owner,
        execution: q.execution,
        name: q.name,
        createdBefore: q.created_before ? new Date(q.created_before) : undefined,
        createdAfter: q.created_after ? new Date(q.created_after) : undefined,
      },
      q.page,
      q.per_page,
    );
    return paginated(items.map(toArtifactDto), total, q);
  }

  @Post('cleanup')
  @RequireRole('admin')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Delete versions older than older_than (and artifacts with nothing newer); dry_run reports without deleting',
  })
  @ApiDataResponse(CleanupReportDto)
  @ApiErrors(422, 503)
  async cleanup(@Body() body: CleanupDto): Promise<Data<CleanupReportDto>> {
    return { data: await this.artifacts.cleanup(body) };
  }

  @Get('ref/:ref')
  @RequireRole('viewer')
  @AllowExecutionToken()
  @ApiOperation({ summary: 'Get an artifact by ref' })
  @ApiDataResponse(ArtifactDto)
  @ApiErrors(404)
  async getByRef(@CurrentPrincipal() principal: Principal, @Param('ref') ref: string): Promise<Data<ArtifactDto>> {
    return { data: toArtifactDto(await this.artifacts.getByRef(principal, ref)) };
  }

  @Get(':id')
  @RequireRole('viewer')
  @AllowExecutionToken()
  @ApiDataResponse(ArtifactDto)
  @ApiErrors(400, 404)
  async get(@CurrentPrincipal() principal: Principal, @Param('id', idPipe) id: number): Promise<Data<ArtifactDto>> {
    return { data: toArtifactDto(await this.artifacts.get(principal, id)) };
  }

  @Put(':id')
  @RequireRole('operator')
  @ApiOperation({ summary: 'Change an artifact; a smaller versions retention applies at once' })
  @ApiDataResponse(ArtifactDto)
  @ApiErrors(400, 404, 422, 503)
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

  @Post(':id/progress')
  @RequireRole('operator')
  @AllowExecutionToken()
  @HttpCode(200)
  @ApiOperation({ summary: 'Append an entry to a progress artifact (400 for other types)' })
  @ApiDataResponse(ArtifactDto)
  @ApiErrors(400, 404, 422, 503)
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

  @Post(':id/versions')
  @RequireRole('operator')
  @AllowExecutionToken()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a version from a JSON body' })
  @ApiDataResponse(ArtifactVersionDto, 201)
  @ApiErrors(400, 404, 413, 422, 503)
  async createJsonVersion(
    @CurrentPrincipal() principal: Principal,
    @Param('id', idPipe) id: number,
    @Body() body: CreateJsonVersionDto,
  ): Promise<Data<ArtifactVersionDto>> {
    return { data: toVersionDto(await this.artifacts.createJsonVersion(principal, id, body)) };
  }

  @Post(':id/versions/upload')
  @RequireRole('operator')
  @AllowExecutionToken()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Upload a version (multipart field "file"), streamed into storage while hashed',
    description:
      'Optional fields `size` and `sha256`, sent before the file, are checked against it; with `size` the content is stored ' +
      'in one write of known length. Identical content is stored once: a version whose bytes are stored already adds no blob.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: UploadVersionDto })
  @ApiDataResponse(ArtifactVersionDto, 201)
  @ApiErrors(400, 404, 413, 422, 503)
  async upload(
    @CurrentPrincipal() principal: Principal,
    @Param('id', idPipe) id: number,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Data<ArtifactVersionDto>> {
    return { data: toVersionDto(await this.uploads.upload(principal, id, req, res)) };
  }

  @Get(':id/versions/latest')
  @RequireRole('viewer')
  @AllowExecutionToken()
  @ApiDataResponse(ArtifactVersionDto)
  @ApiErrors(400, 404)
  async latest(@CurrentPrincipal() principal: Principal, @Param('id', idPipe) id: number): Promise<Data<ArtifactVersionDto>> {
    return { data: toVersionDto((await this.artifacts.version(principal, id)).version) };
  }

  @Get(':id/versions/:version')
  @RequireRole('viewer')
  @AllowExecutionToken()
  @ApiDataResponse(ArtifactVersionDto)
  @ApiErrors(400, 404)
  async version(
    @CurrentPrincipal() principal: Principal,
    @Param('id', idPipe) id: number,
    @Param('version', idPipe) version: number,
  ): Promise<Data<ArtifactVersionDto>> {
    return { data: toVersionDto((await this.artifacts.version(principal, id, version)).version) };
  }

  @Delete(':id/versions/:version')
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
  @RequireRole('viewer')
  @AllowExecutionToken()
  @ApiOperation({
    summary: 'Download the latest version (Range supported; checked against its sha256)',
    description: 'Content found corrupt (by this check or the integrity scrub) is refused with 503, `details.reason` CORRUPT_CONTENT.',
  })
  @ApiProduces('application/octet-stream')
  @ApiHeader({ name: 'Range', required: false, description: 'bytes=first-last, bytes=first- or bytes=-suffix' })
  @ApiResponse({ status: 200, description: 'The content', headers: DOWNLOAD_HEADERS })
  @ApiResponse({ status: 206, description: 'The requested range', headers: DOWNLOAD_HEADERS })
  @ApiResponse({ status: 416, description: 'Range not satisfiable' })
  @ApiErrors(400, 404, 500, 503)
  async downloadLatest(
    @CurrentPrincipal() principal: Principal,
    @Param('id', idPipe) id: number,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const { artifact, version } = await this.artifacts.version(principal, id);
    await this.downloads.send(req, res, artifact, version);
  }

  @Get(':id/versions/:version/download')
  @RequireRole('viewer')
  @AllowExecutionToken()
  @ApiOperation({
    summary: 'Download one version (Range supported; checked against its sha256)',
    description: 'Content found corrupt (by this check or the integrity scrub) is refused with 503, `details.reason` CORRUPT_CONTENT.',
  })
  @ApiProduces('application/octet-stream')
  @ApiHeader({ name: 'Range', required: false })
  @ApiResponse({ status: 200, description: 'The content', headers: DOWNLOAD_HEADERS })
  @ApiResponse({ status: 206, description: 'The requested range', headers: DOWNLOAD_HEADERS })
  @ApiResponse({ status: 416, description: 'Range not satisfiable' })
  @ApiErrors(400, 404, 500, 503)
  async downloadVersion(
    @CurrentPrincipal() principal: Principal,
    @Param('id', idPipe) id: number,
    @Param('version', idPipe) versionNumber: number,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const { artifact, version } = await this.artifacts.version(principal, id, versionNumber);
    await this.downloads.send(req, res, artifact, version);
  }
}
