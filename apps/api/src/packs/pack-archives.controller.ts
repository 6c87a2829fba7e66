import { Get, Param, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { RequireRole } from '../auth/auth.decorators';
import { OwnExecutionOnly } from '../auth/execution-scope.guard';
import { sendBlob } from '../common/http/send-blob';
import { idPipe } from '../common/id.pipe';
import { ApiController, ApiDataListResponse, ApiErrors } from '../common/openapi.decorators';
import { PackArchives } from './pack-archives.service';
import { PackVersionDto, toPackVersionDto } from './pack.dto';
import { PacksService } from './packs.service';

const ARCHIVE_RESPONSE = {
  description: 'The .tar.gz, with Content-Length, ETag and X-Checksum-Sha256 (its SHA-256, which is also its digest)',
  schema: { type: 'string', format: 'binary' },
};

/** Reading uploaded pack archives: the versions of a pack, and the archive an execution runs. */
@ApiController('packs', 'api/v1')
export class PackArchivesController {
  constructor(
    private readonly packs: PacksService,
    private readonly archives: PackArchives,
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
  async download(@Param('ref') ref: string, @Param('digest') digest: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    await sendBlob(req, res, await this.archives.ofPack(ref, digest));
  }

  @Get('executions/:id/pack')
  @RequireRole('viewer')
  @OwnExecutionOnly()
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
  async executionPack(@Param('id', idPipe) id: number, @Req() req: Request, @Res() res: Response): Promise<void> {
    await sendBlob(req, res, await this.archives.ofExecution(id));
  }
}
