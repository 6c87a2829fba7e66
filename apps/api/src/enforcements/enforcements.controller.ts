import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiTags } from '@nestjs/swagger';
import { RuleConditionDto, RuleExpressionCriteriaDto } from '../rules/rule.dto';
import { RequireRole } from '../auth/auth.decorators';
import { idPipe } from '../common/id.pipe';
import { ApiDataResponse, ApiErrors, ApiPaginatedResponse } from '../common/openapi.decorators';
import { paginated, type Paginated } from '../common/pagination';
import { EnforcementDto, EnforcementListQuery } from './enforcement.dto';
import { EnforcementsService } from './enforcements.service';

@ApiExtraModels(RuleConditionDto, RuleExpressionCriteriaDto)
@ApiTags('enforcements')
@ApiBearerAuth()
@ApiErrors(401, 403)
@Controller('api/v1/enforcements')
export class EnforcementsController {
  constructor(private readonly enforcements: EnforcementsService) {}

  @Get()
  @RequireRole('viewer')
  @ApiPaginatedResponse(EnforcementDto)
  @ApiErrors(422)
  async list(@Query() q: EnforcementListQuery): Promise<Paginated<EnforcementDto>> {
    const { items, total } = await this.enforcements.list({ ruleRef: q.rule_ref, rule: q.rule, event: q.event, status: q.status }, q.page, q.per_page);
    return paginated(items, total, q);
  }

  @Get(':id')
  @RequireRole('viewer')
  @ApiDataResponse(EnforcementDto)
  @ApiErrors(400, 404)
  async get(@Param('id', idPipe) id: number): Promise<{ data: EnforcementDto }> {
    return { data: await this.enforcements.get(id) };
  }
}
