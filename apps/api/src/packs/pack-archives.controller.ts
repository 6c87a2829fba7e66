import { DomainError } from '@attune/contracts';
import { ExecutionRepository, type PackVersionEntity } from '@attune/persistence';
import { BLOB_STORE, type BlobStore } from '@attune/storage';
import { Controller, Get, Inject, Param, Res, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { Readable } from 'node:stream';
import { AllowExecutionToken, CurrentPrincipal, type Principal, RequireRole } from '../auth/auth.decorators';
import { idPipe } from '../common/id.pipe';
import { ApiDataListResponse, ApiErrors } from '../common/openapi.decorators';
import { PackVersionDto, toPackVersionDto } from './pack.dto';
import { PacksService } from './packs.service';

const ARCHIVE_RESPONSE = {
  description: 'The .tar.gz, with Content-Length, ETag and X-Checksum-Sha256 (its SHA-256, which is also its digest)',
  schema: { type: 'string', format: 'binary' },
};

/** Reading uploaded pack archives: the versions of a pack, and the archive an execution runs. */
@ApiTags('packs')
@ApiBearerAuth()
@ApiErrors(401, 403)
@Controller('api/v1')
export class PackArchivesController {
  constructor(
    private readonly packs: PacksService,
    private readonly executions: ExecutionRepository,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
  ) {}

  @Get('packs/:ref/versions')
  @RequireRole('viewer')
  @ApiOperation({ summary: 'The archives uploaded for a pack, newest first', description: 'Every distinct upload is kept, so running executions always find their code.' })
  @ApiDataListResponse(PackVersionDto)
  @ApiErrors(404)
  async versions(@Param('ref') ref: string): Promise<{ data: PackVersionDto[] }> {
    const { pack, versions } = await this.packs.versions(ref);
    return { data: versions.map((v) => toPackVersionDto(v, pack.digest)) };
  }

  @Get('packs/:ref/versions/:digest/download')
  @RequireRole('viewer')
  @ApiOperation({ summary: 'Download one archive of a pack' })
  @ApiProduces('application/gzip')
  @ApiOkResponse(ARCHIVE_RESPONSE)
  @ApiErrors(404)
  async download(@Param('ref') ref: string, @Param('digest') digest: string, @Res({ passthrough: true }) res: Response): Promise<StreamableFile> {
    return this.stream(await this.packs.version(ref, digest), res);
  }

  @Get('executions/:id/pack')
  @RequireRole('viewer')
  @AllowExecutionToken()
  @ApiOperation({
    summary: 'The pack archive an execution runs',
    description:
      'The archive registered when the execution was scheduled, whatever was uploaded since. Workers fetch it with the ' +
      'execution token (which may fetch only its own execution\'s archive) and check its SHA-256. 404 when the execution ' +
      'runs no uploaded pack code (inline actions, packs never uploaded).',
  })
  @ApiProduces('application/gzip')
  @ApiOkResponse(ARCHIVE_RESPONSE)
  @ApiErrors(400, 404)
  async executionPack(
    @CurrentPrincipal() principal: Principal,
    @Param('id', idPipe) id: number,
    @Res({ passthrough: true }) res: Response,
  ): Promise<StreamableFile> {
    if (principal.kind === 'execution' && principal.executionId !== id) {
      throw new DomainError('FORBIDDEN', 'an execution token may only fetch its own execution\'s pack');
    }
    const execution = await this.executions.findById(id);
    if (!execution) throw new DomainError('NOT_FOUND', `execution ${id} not found`);
    if (!execution.packDigest) throw new DomainError('NOT_FOUND', `execution ${id} runs no uploaded pack archive`);
    return this.stream(await this.packs.version(execution.actionRef.split('.')[0], execution.packDigest), res);
  }

  private async stream(version: PackVersionEntity, res: Response): Promise<StreamableFile> {
    const body = await this.blobs.get(version.blobKey).catch((err: { code?: string }) => {
      if (err?.code === 'BLOB_NOT_FOUND') throw new DomainError('NOT_FOUND', `the archive of pack "${version.packRef}" ${version.digest} is missing from storage`);
      throw err;
    });
    res.setHeader('ETag', `"${version.digest}"`);
    res.setHeader('X-Checksum-Sha256', version.digest);
    return new StreamableFile(body as Readable, {
      type: 'application/gzip',
      length: Number(version.sizeBytes),
      disposition: `attachment; filename="${version.packRef}-${version.digest.slice(0, 12)}.tar.gz"`,
    });
  }
}
