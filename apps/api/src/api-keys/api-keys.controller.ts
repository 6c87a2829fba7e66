import { Body, Get, Param, Query } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal, RequireRole } from '../auth/auth.decorators';
import { OptionalQueryFlag } from '../common/field.decorators';
import { idPipe } from '../common/id.pipe';
import { ApiController, ApiCreateRoute, ApiDeleteRoute, ApiErrors, ApiPaginatedResponse } from '../common/openapi.decorators';
import { PageQuery, paginated, type Paginated } from '../common/pagination';
import { ApiKeyDto, CreateApiKeyDto, CreatedApiKeyDto, toApiKeyDto } from './api-key.dto';
import { ApiKeysService } from './api-keys.service';

export class ApiKeyListQuery extends PageQuery {
  @OptionalQueryFlag({ description: 'Every user\'s keys (admin); default: your own' })
  all?: boolean;
}

@RequireRole('viewer')
@ApiController('api-keys', 'api/v1/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @ApiCreateRoute('viewer', '', CreatedApiKeyDto, [400, 413, 422], {
    summary: 'Create an API key',
    description:
      'Answers the key once (`key`): only its hash is stored. Use it as `Authorization: Bearer <key>`; it acts as you, ' +
      'with at most `role`. 403 when `role` is above your own, or when the request itself uses an API key.',
  })
  async create(@CurrentPrincipal() principal: Principal, @Body() body: CreateApiKeyDto): Promise<{ data: CreatedApiKeyDto }> {
    const { key, record } = await this.keys.create(principal, body);
    return { data: { ...toApiKeyDto(record), key } };
  }

  @Get()
  @ApiOperation({ summary: 'List your API keys (never their secrets)', description: 'Revoked keys are not listed. `?all=true` lists every user\'s (admin).' })
  @ApiPaginatedResponse(ApiKeyDto)
  @ApiErrors(422)
  async list(@CurrentPrincipal() principal: Principal, @Query() q: ApiKeyListQuery): Promise<Paginated<ApiKeyDto>> {
    const { items, total } = await this.keys.list(principal, q.all === true, q.page, q.per_page);
    return paginated(items.map(toApiKeyDto), total, q);
  }

  @ApiDeleteRoute('viewer', ':id', [400, 404], {
    summary: 'Revoke an API key',
    description: 'From then on the key answers 401. Your own keys; an admin may revoke anyone\'s. 404 for a key that is not yours.',
    answer: 'Revoked',
  })
  async revoke(@CurrentPrincipal() principal: Principal, @Param('id', idPipe) id: number): Promise<void> {
    await this.keys.revoke(principal, id);
  }
}
