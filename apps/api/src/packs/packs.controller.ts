import { Body, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { toActionDto } from '../actions/action.dto';
import { CurrentPrincipal, type Principal, RequireRole } from '../auth/auth.decorators';
import {
  ApiController,
  ApiCreateRoute,
  ApiDataResponse,
  ApiDeleteRoute,
  ApiErrors,
  ApiGetRoute,
  ApiListRoute,
  ApiUpdateRoute,
} from '../common/openapi.decorators';
import { PageQuery, paginated, type Paginated } from '../common/pagination';
import {
  CreatePackDto,
  PackDto,
  PackRegisterResultDto,
  PackUploadResultDto,
  RegisterPackDto,
  toPackDto,
  toPackVersionDto,
  UpdatePackDto,
} from './pack.dto';
import { closeUnlessRead, multipartBody } from '../common/http/receive-upload';
import { type PackUploadResult, PackUploadService } from './pack-upload.service';
import { PacksService } from './packs.service';

@ApiController('packs', 'api/v1/packs')
export class PacksController {
  constructor(
    private readonly packs: PacksService,
    private readonly uploads: PackUploadService,
  ) {}

  @ApiListRoute({ summary: 'List packs' }, PackDto, 'page')
  async list(@Query() q: PageQuery): Promise<Paginated<PackDto>> {
    const { items, total } = await this.packs.list(q.page, q.per_page);
    return paginated(items.map(toPackDto), total, q);
  }

  @ApiCreateRoute('admin', '', PackDto, [400, 409, 413, 422], {
    summary: 'Create an empty pack (admin)',
    description: 'Actions are added with POST /api/v1/actions, or the pack is uploaded as an archive. 409 when the ref exists.',
  })
  async create(@Body() body: CreatePackDto): Promise<{ data: PackDto }> {
    return { data: toPackDto(await this.packs.create(body)) };
  }

  @Post('upload')
  @HttpCode(201)
  @RequireRole('admin')
  @ApiOperation({
    summary: 'Upload a pack archive (admin)',
    description:
      'Multipart field `pack`: a `.tar.gz` of a pack directory (`pack.yaml`, `actions/*.yaml`, scripts), with the pack at the ' +
      'top of the archive or in its only directory. Registers the pack, or updates it and makes its actions exactly those of ' +
      'the archive. The archive is stored content-addressed (by SHA-256); executions already scheduled keep running the ' +
      'archive they were scheduled with. Refused with nothing stored: 413 when the archive (ATTUNE_PACK_MAX_UPLOAD_BYTES) or ' +
      'its extracted files (ATTUNE_PACK_MAX_EXTRACTED_BYTES) are too large; 422 with details for entries with `..` or ' +
      'absolute paths, links leaving the pack, devices, invalid YAML, unknown runtimes or missing scripts; 409 for the ' +
      'built-in pack, or when the archive drops actions that unfinished executions use.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['pack'],
      properties: {
        pack: { type: 'string', format: 'binary', description: 'The .tar.gz' },
        force: { type: 'boolean', description: 'Sent by Attune\'s client; accepted and ignored (an upload always replaces the pack)' },
        skip_tests: { type: 'boolean', description: 'Sent by Attune\'s client; accepted and ignored (no pack tests are run)' },
      },
    },
  })
  @ApiDataResponse(PackUploadResultDto, 201)
  @ApiErrors(400, 409, 413, 422)
  async upload(@CurrentPrincipal() principal: Principal, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<{ data: PackUploadResultDto }> {
    return { data: toUploadResultDto(await closeUnlessRead(req, res, () => this.uploads.upload(principal, multipartBody(req)))) };
  }

  @Post('register')
  @HttpCode(201)
  @RequireRole('admin')
  @ApiOperation({
    summary: 'Register a pack from a directory the server can read (admin)',
    description:
      'Attune\'s route for packs mounted into the containers. `path` must resolve (symlinks followed, `..` applied) to a directory ' +
      'inside one of the configured pack roots (ATTUNE_PACK_ROOTS); 403 when it does not or when no roots are configured. The ' +
      'directory then goes through exactly the checks of an upload (links leaving the pack, sizes, YAML, scripts: 413/422) and is ' +
      'stored and registered the same way. `force` and `skip_tests` are accepted and ignored.',
  })
  @ApiDataResponse(PackRegisterResultDto, 201)
  @ApiErrors(400, 403, 409, 413, 422)
  async register(@CurrentPrincipal() principal: Principal, @Body() body: RegisterPackDto): Promise<{ data: PackRegisterResultDto }> {
    const out = await this.uploads.registerDirectory(principal, body.path);
    return {
      data: {
        ...toUploadResultDto(out),
        tests_skipped: true,
        test_result: null,
      },
    };
  }

  @ApiGetRoute('viewer', ':ref', PackDto, [404], { summary: 'One pack' })
  async get(@Param('ref') ref: string): Promise<{ data: PackDto }> {
    return { data: toPackDto(await this.packs.get(ref)) };
  }

  @ApiUpdateRoute('admin', ':ref', PackDto, [400, 404, 409, 413, 422], {
    summary: 'Change a pack\'s label, version or description (admin)',
    description: '409 for the built-in pack.',
  })
  async update(@Param('ref') ref: string, @Body() body: UpdatePackDto): Promise<{ data: PackDto }> {
    return { data: toPackDto(await this.packs.update(ref, body)) };
  }

  @ApiDeleteRoute('admin', ':ref', [404, 409], {
    summary: 'Delete a pack with its actions and archives (admin)',
    description: '409 (details name the actions) while executions of its actions have not finished; 409 (details name the workflows) while saved workflows of other packs run its actions; 409 for the built-in pack.',
  })
  async delete(@Param('ref') ref: string): Promise<void> {
    await this.packs.delete(ref);
  }
}

/** What an upload or a registration from a directory answers. */
function toUploadResultDto(out: PackUploadResult): PackUploadResultDto {
  return {
    pack: toPackDto(out.pack),
    version: toPackVersionDto(out.version, out.pack.digest),
    new_version: out.newVersion,
    actions: out.actions.map(toActionDto),
    removed_actions: out.removedActions,
    warnings: out.warnings,
  };
}
