import { Param, Query } from '@nestjs/common';
import { idPipe } from '../common/id.pipe';
import { ApiController, ApiGetRoute, ApiListRoute } from '../common/openapi.decorators';
import { cursorPaginated, type CursorPaginated, listRequest } from '../common/pagination';
import { EnforcementDto, EnforcementListQuery } from './enforcement.dto';
import { EnforcementsService } from './enforcements.service';

@ApiController('enforcements', 'api/v1/enforcements')
export class EnforcementsController {
  constructor(private readonly enforcements: EnforcementsService) {}

  @ApiListRoute({ summary: 'List enforcements (rule firings), newest first' }, EnforcementDto, 'cursor')
  async list(@Query() q: EnforcementListQuery): Promise<CursorPaginated<EnforcementDto>> {
    const page = await this.enforcements.list({ ruleRef: q.rule_ref, rule: q.rule, event: q.event, status: q.status }, listRequest(q));
    return cursorPaginated(page, q, (e) => e);
  }

  @ApiGetRoute('viewer', ':id', EnforcementDto, [400, 404], { summary: 'One enforcement, with the executions it created' })
  async get(@Param('id', idPipe) id: number): Promise<{ data: EnforcementDto }> {
    return { data: await this.enforcements.get(id) };
  }
}
