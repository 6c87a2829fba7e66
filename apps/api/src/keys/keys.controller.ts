import { Body, Get, Param, Put, Query, Res } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import type { Response } from 'express';
import { AllowExecutionToken, CurrentPrincipal, type Principal, RequireRole } from '../auth/auth.decorators';
import { ApiController, ApiCreateRoute, ApiDataResponse, ApiDeleteRoute, ApiErrors, ApiGetRoute, ApiPaginatedResponse } from '../common/openapi.decorators';
import { paginated, type Paginated } from '../common/pagination';
import { CreateKeyDto, KeyAddressQuery, KeyDto, KeyGetQuery, KeyListQuery, PutKeyDto } from './key.dto';
import { KeysService } from './keys.service';

const KEY_PARAM = "The key's name (with ?scope= and ?owner=) or its canonical ref (`system.<name>`, `user.<login>.<name>`, `pack.<pack>.<name>`)";

@ApiController('keys', 'api/v1/keys')
export class KeysController {
  constructor(private readonly keys: KeysService) {}

  @Get()
  @RequireRole('viewer')
  @AllowExecutionToken()
  @ApiOperation({
    summary: 'List keys (values of encrypted keys masked)',
    description: "Users see system and pack keys and their own user keys (admins: every key). An execution token sees the keys in its scope: system, its action's pack, the user who started it.",
  })
  @ApiPaginatedResponse(KeyDto)
  @ApiErrors(422)
  async list(@CurrentPrincipal() principal: Principal, @Query() q: KeyListQuery): Promise<Paginated<KeyDto>> {
    const { items, total } = await this.keys.list(principal, q);
    return paginated(items, total, q);
  }

  @ApiCreateRoute('viewer', '', KeyDto, [409, 422], {
    summary: 'Create a key',
    description: 'System and pack keys need the admin role; any user may keep user keys of their own. 409 when the key exists (PUT replaces).',
  })
  async create(@CurrentPrincipal() principal: Principal, @Body() body: CreateKeyDto): Promise<{ data: KeyDto }> {
    return { data: await this.keys.create(principal, body) };
  }

  @ApiGetRoute('viewer', ':key', KeyDto, [404, 422], {
    summary: 'Read a key',
    description:
      `${KEY_PARAM}. An encrypted value is shown with ?decrypt=true to the user of a user key, to admins, and to an action whose scope holds the key; ` +
      'otherwise "********". An execution token asking by name alone gets its user\'s key, else its pack\'s, else the system\'s; a key outside its scope is 403.',
  })
  @AllowExecutionToken()
  async get(@CurrentPrincipal() principal: Principal, @Param('key') key: string, @Query() q: KeyGetQuery): Promise<{ data: KeyDto }> {
    return { data: await this.keys.get(principal, key, q) };
  }

  @Put(':key')
  @RequireRole('viewer')
  @ApiOperation({ summary: 'Set a key (create or replace its value, encryption and TTL)', description: `${KEY_PARAM}. 201 when it was created, 200 when replaced.` })
  @ApiDataResponse(KeyDto, 200)
  @ApiDataResponse(KeyDto, 201, 'Created')
  @ApiErrors(422)
  async put(
    @CurrentPrincipal() principal: Principal,
    @Param('key') key: string,
    @Query() q: KeyAddressQuery,
    @Body() body: PutKeyDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ data: KeyDto }> {
    const { key: data, created } = await this.keys.put(principal, key, q, body);
    res.status(created ? 201 : 200);
    return { data };
  }

  @ApiDeleteRoute('viewer', ':key', [404, 422], { summary: 'Delete a key', description: KEY_PARAM })
  async delete(@CurrentPrincipal() principal: Principal, @Param('key') key: string, @Query() q: KeyAddressQuery): Promise<void> {
    await this.keys.delete(principal, key, q);
  }
}
