import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiNoContentResponse, ApiTags } from '@nestjs/swagger';
import { RuleConditionDto, RuleExpressionCriteriaDto } from './rule.dto';
import { RequireRole } from '../auth/auth.decorators';
import { ApiDataResponse, ApiErrors, ApiPaginatedResponse } from '../common/openapi.decorators';
import { paginated, type Paginated } from '../common/pagination';
import { CreateRuleDto, RuleDto, RuleListQuery, toRuleDto, UpdateRuleDto } from './rule.dto';
import { RulesService } from './rules.service';

@ApiExtraModels(RuleConditionDto, RuleExpressionCriteriaDto)
@ApiTags('rules')
@ApiBearerAuth()
@ApiErrors(401, 403)
@Controller('api/v1/rules')
export class RulesController {
  constructor(private readonly rules: RulesService) {}

  @Get()
  @RequireRole('viewer')
  @ApiPaginatedResponse(RuleDto)
  @ApiErrors(422)
  async list(@Query() q: RuleListQuery): Promise<Paginated<RuleDto>> {
    const { items, total } = await this.rules.list(
      { packRef: q.pack_ref, triggerRef: q.trigger_ref, actionRef: q.action_ref, enabled: q.enabled },
      q.page,
      q.per_page,
    );
    return paginated(items.map(toRuleDto), total, q);
  }

  @Post()
  @RequireRole('admin')
  @HttpCode(201)
  @ApiDataResponse(RuleDto, 201)
  @ApiErrors(400, 404, 409, 422)
  async create(@Body() body: CreateRuleDto): Promise<{ data: RuleDto }> {
    return { data: toRuleDto(await this.rules.create(body)) };
  }

  @Get(':ref')
  @RequireRole('viewer')
  @ApiDataResponse(RuleDto)
  @ApiErrors(404)
  async get(@Param('ref') ref: string): Promise<{ data: RuleDto }> {
    return { data: toRuleDto(await this.rules.get(ref)) };
  }

  @Put(':ref')
  @RequireRole('admin')
  @ApiDataResponse(RuleDto)
  @ApiErrors(400, 404, 422)
  async update(@Param('ref') ref: string, @Body() body: UpdateRuleDto): Promise<{ data: RuleDto }> {
    return { data: toRuleDto(await this.rules.update(ref, body)) };
  }

  @Delete(':ref')
  @RequireRole('admin')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors(404)
  async delete(@Param('ref') ref: string): Promise<void> {
    await this.rules.delete(ref);
  }

  @Post(':ref/enable')
  @RequireRole('admin')
  @HttpCode(200)
  @ApiDataResponse(RuleDto, 200, 'Enabled; a timer rule starts its schedule from now')
  @ApiErrors(404)
  async enable(@Param('ref') ref: string): Promise<{ data: RuleDto }> {
    return { data: toRuleDto(await this.rules.setEnabled(ref, true)) };
  }

  @Post(':ref/disable')
  @RequireRole('admin')
  @HttpCode(200)
  @ApiDataResponse(RuleDto, 200, 'Disabled: it matches nothing and its timer stops')
  @ApiErrors(404)
  async disable(@Param('ref') ref: string): Promise<{ data: RuleDto }> {
    return { data: toRuleDto(await this.rules.setEnabled(ref, false)) };
  }
}
