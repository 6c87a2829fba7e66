import { Body, Param, Query } from '@nestjs/common';
import { CurrentPrincipal, type Principal, roleRank } from '../auth/auth.decorators';
import { ApiCommandRoute, ApiController, ApiCreateRoute, ApiDeleteRoute, ApiGetRoute, ApiListRoute, ApiUpdateRoute } from '../common/openapi.decorators';
import { paginated, type Paginated } from '../common/pagination';
import { CreateTriggerDto, TriggerDto, TriggerListQuery, toTriggerDto, UpdateTriggerDto } from './trigger.dto';
import { TriggersService } from './triggers.service';

/** The webhook key is a credential: operators (who may post events anyway) and admins see it. */
const seesKeys = (p: Principal) => p.kind === 'user' && roleRank(p.roles) >= 2;

@ApiController('triggers', 'api/v1/triggers')
export class TriggersController {
  constructor(private readonly triggers: TriggersService) {}

  @ApiListRoute({ summary: 'List triggers' }, TriggerDto, 'page')
  async list(@CurrentPrincipal() principal: Principal, @Query() q: TriggerListQuery): Promise<Paginated<TriggerDto>> {
    const { items, total } = await this.triggers.list({ packRef: q.pack_ref }, q.page, q.per_page);
    return paginated(items.map((t) => toTriggerDto(t, { showWebhookKey: seesKeys(principal) })), total, q);
  }

  @ApiCreateRoute('admin', '', TriggerDto, [404, 409, 422], { summary: 'Create a trigger' })
  async create(@CurrentPrincipal() principal: Principal, @Body() body: CreateTriggerDto): Promise<{ data: TriggerDto }> {
    return { data: toTriggerDto(await this.triggers.create(body), { showWebhookKey: seesKeys(principal) }) };
  }

  @ApiGetRoute('viewer', ':ref', TriggerDto, [404], { summary: 'One trigger' })
  async get(@CurrentPrincipal() principal: Principal, @Param('ref') ref: string): Promise<{ data: TriggerDto }> {
    return { data: toTriggerDto(await this.triggers.get(ref), { showWebhookKey: seesKeys(principal) }) };
  }

  @ApiUpdateRoute('admin', ':ref', TriggerDto, [400, 404, 422], { summary: 'Change a trigger' })
  async update(@CurrentPrincipal() principal: Principal, @Param('ref') ref: string, @Body() body: UpdateTriggerDto): Promise<{ data: TriggerDto }> {
    return { data: toTriggerDto(await this.triggers.update(ref, body), { showWebhookKey: seesKeys(principal) }) };
  }

  @ApiDeleteRoute('admin', ':ref', [400, 404, 409], { summary: 'Delete a trigger' })
  async delete(@Param('ref') ref: string): Promise<void> {
    await this.triggers.delete(ref);
  }

  @ApiCommandRoute('admin', ':ref/webhooks/enable', TriggerDto, [400, 404], {
    summary: "Enable the trigger's webhook and answer its key",
    answer: 'webhook_enabled is true and webhook_key holds the key (kept when already enabled)',
  })
  async enableWebhook(@Param('ref') ref: string): Promise<{ data: TriggerDto }> {
    return { data: toTriggerDto(await this.triggers.setWebhook(ref, true), { showWebhookKey: true }) };
  }

  @ApiCommandRoute('admin', ':ref/webhooks/disable', TriggerDto, [400, 404], {
    summary: "Disable the trigger's webhook",
    answer: 'The key is forgotten: enabling again issues a new one',
  })
  async disableWebhook(@Param('ref') ref: string): Promise<{ data: TriggerDto }> {
    return { data: toTriggerDto(await this.triggers.setWebhook(ref, false), { showWebhookKey: true }) };
  }
}
