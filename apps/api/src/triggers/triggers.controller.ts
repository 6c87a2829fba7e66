import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal, RequireRole, roleRank } from '../auth/auth.decorators';
import { ApiDataResponse, ApiErrors, ApiPaginatedResponse } from '../common/openapi.decorators';
import { paginated, type Paginated } from '../common/pagination';
import { CreateTriggerDto, TriggerDto, TriggerListQuery, toTriggerDto, UpdateTriggerDto } from './trigger.dto';
import { TriggersService } from './triggers.service';

/** The webhook key is a credential: operators (who may post events anyway) and admins see it. */
const seesKeys = (p: Principal) => p.kind === 'user' && roleRank(p.roles) >= 2;

@ApiTags('triggers')
@ApiBearerAuth()
@ApiErrors(401, 403)
@Controller('api/v1/triggers')
export class TriggersController {
  constructor(private readonly triggers: TriggersService) {}

  @Get()
  @RequireRole('viewer')
  @ApiPaginatedResponse(TriggerDto)
  @ApiErrors(422)
  async list(@CurrentPrincipal() principal: Principal, @Query() q: TriggerListQuery): Promise<Paginated<TriggerDto>> {
    const { items, total } = await this.triggers.list({ packRef: q.pack_ref }, q.page, q.per_page);
    return paginated(items.map((t) => toTriggerDto(t, { showWebhookKey: seesKeys(principal) })), total, q);
  }

  @Post()
  @RequireRole('admin')
  @HttpCode(201)
  @ApiDataResponse(TriggerDto, 201)
  @ApiErrors(404, 409, 422)
  async create(@CurrentPrincipal() principal: Principal, @Body() body: CreateTriggerDto): Promise<{ data: TriggerDto }> {
    return { data: toTriggerDto(await this.triggers.create(body), { showWebhookKey: seesKeys(principal) }) };
  }

  @Get(':ref')
  @RequireRole('viewer')
  @ApiDataResponse(TriggerDto)
  @ApiErrors(404)
  async get(@CurrentPrincipal() principal: Principal, @Param('ref') ref: string): Promise<{ data: TriggerDto }> {
    return { data: toTriggerDto(await this.triggers.get(ref), { showWebhookKey: seesKeys(principal) }) };
  }

  @Put(':ref')
  @RequireRole('admin')
  @ApiDataResponse(TriggerDto)
  @ApiErrors(400, 404, 422)
  async update(@CurrentPrincipal() principal: Principal, @Param('ref') ref: string, @Body() body: UpdateTriggerDto): Promise<{ data: TriggerDto }> {
    return { data: toTriggerDto(await this.triggers.update(ref, body), { showWebhookKey: seesKeys(principal) }) };
  }

  @Delete(':ref')
  @RequireRole('admin')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors(400, 404, 409)
  async delete(@Param('ref') ref: string): Promise<void> {
    await this.triggers.delete(ref);
  }

  @Post(':ref/webhooks/enable')
  @RequireRole('admin')
  @HttpCode(200)
  @ApiDataResponse(TriggerDto, 200, 'webhook_enabled is true and webhook_key holds the key (kept when already enabled)')
  @ApiErrors(400, 404)
  async enableWebhook(@Param('ref') ref: string): Promise<{ data: TriggerDto }> {
    return { data: toTriggerDto(await this.triggers.setWebhook(ref, true), { showWebhookKey: true }) };
  }

  @Post(':ref/webhooks/disable')
  @RequireRole('admin')
  @HttpCode(200)
  @ApiDataResponse(TriggerDto, 200, 'The key is forgotten: enabling again issues a new one')
  @ApiErrors(400, 404)
  async disableWebhook(@Param('ref') ref: string): Promise<{ data: TriggerDto }> {
    return { data: toTriggerDto(await this.triggers.setWebhook(ref, false), { showWebhookKey: true }) };
  }
}
