import { CREATE_RULE_EXAMPLES, RULE_EXAMPLE } from '../common/openapi-examples';
import { Body, Param, Query } from '@nestjs/common';
import { ApiBody } from '@nestjs/swagger';
import { ApiCommandRoute, ApiController, ApiCreateRoute, ApiDeleteRoute, ApiGetRoute, ApiListRoute, ApiUpdateRoute } from '../common/openapi.decorators';
import { paginated, type Paginated } from '../common/pagination';
import { CreateRuleDto, RuleDto, RuleListQuery, toRuleDto, UpdateRuleDto } from './rule.dto';
import { RulesService } from './rules.service';

@ApiController('rules', 'api/v1/rules')
export class RulesController {
  constructor(private readonly rules: RulesService) {}

  @ApiListRoute({ summary: 'List rules' }, RuleDto, 'page')
  async list(@Query() q: RuleListQuery): Promise<Paginated<RuleDto>> {
    const { items, total } = await this.rules.list(
      { packRef: q.pack_ref, triggerRef: q.trigger_ref, actionRef: q.action_ref, enabled: q.enabled },
      q.page,
      q.per_page,
    );
    return paginated(items.map(toRuleDto), total, q);
  }

  @ApiCreateRoute('admin', '', RuleDto, [400, 404, 409, 422], { summary: 'Create a rule (admin)', answer: 'Created', example: RULE_EXAMPLE })
  @ApiBody({ type: CreateRuleDto, examples: CREATE_RULE_EXAMPLES })
  async create(@Body() body: CreateRuleDto): Promise<{ data: RuleDto }> {
    return { data: toRuleDto(await this.rules.create(body)) };
  }

  @ApiGetRoute('viewer', ':ref', RuleDto, [404], { summary: 'One rule' })
  async get(@Param('ref') ref: string): Promise<{ data: RuleDto }> {
    return { data: toRuleDto(await this.rules.get(ref)) };
  }

  @ApiUpdateRoute('admin', ':ref', RuleDto, [400, 404, 422], { summary: 'Change a rule (admin)' })
  async update(@Param('ref') ref: string, @Body() body: UpdateRuleDto): Promise<{ data: RuleDto }> {
    return { data: toRuleDto(await this.rules.update(ref, body)) };
  }

  @ApiDeleteRoute('admin', ':ref', [404], { summary: 'Delete a rule (admin)' })
  async delete(@Param('ref') ref: string): Promise<void> {
    await this.rules.delete(ref);
  }

  @ApiCommandRoute('admin', ':ref/enable', RuleDto, [404], { summary: 'Enable a rule', answer: 'Enabled; a timer rule starts its schedule from now' })
  async enable(@Param('ref') ref: string): Promise<{ data: RuleDto }> {
    return { data: toRuleDto(await this.rules.setEnabled(ref, true)) };
  }

  @ApiCommandRoute('admin', ':ref/disable', RuleDto, [404], { summary: 'Disable a rule', answer: 'Disabled: it matches nothing and its timer stops' })
  async disable(@Param('ref') ref: string): Promise<{ data: RuleDto }> {
    return { data: toRuleDto(await this.rules.setEnabled(ref, false)) };
  }
}
