import { Body, Param, Query } from '@nestjs/common';
import { ApiController, ApiCreateRoute, ApiDeleteRoute, ApiGetRoute, ApiListRoute, ApiUpdateRoute } from '../common/openapi.decorators';
import { paginated, type Paginated } from '../common/pagination';
import { ActionDto, ActionListQuery, CreateActionDto, toActionDto, UpdateActionDto } from './action.dto';
import { ActionsService } from './actions.service';

@ApiController('actions', 'api/v1/actions')
export class ActionsController {
  constructor(private readonly actions: ActionsService) {}

  @ApiListRoute({ summary: 'List actions', description: 'Filter with ?pack_ref=.' }, ActionDto, 'page')
  async list(@Query() q: ActionListQuery): Promise<Paginated<ActionDto>> {
    const { items, total } = await this.actions.list(q.pack_ref, q.page, q.per_page);
    return paginated(items.map(toActionDto), total, q);
  }

  @ApiCreateRoute('admin', '', ActionDto, [400, 409, 413, 422], {
    summary: 'Create an action in an existing pack (admin)',
    description: '422 with every failing field (unknown runtime, a script that is not in the pack\'s archive, an invalid schema…); 409 when the ref exists or the pack is built in.',
  })
  async create(@Body() body: CreateActionDto): Promise<{ data: ActionDto }> {
    return { data: toActionDto(await this.actions.create(body)) };
  }

  @ApiGetRoute('viewer', ':ref', ActionDto, [404], { summary: 'One action' })
  async get(@Param('ref') ref: string): Promise<{ data: ActionDto }> {
    return { data: toActionDto(await this.actions.get(ref)) };
  }

  @ApiUpdateRoute('admin', ':ref', ActionDto, [400, 404, 409, 413, 422], {
    summary: 'Change an action (admin)',
    description: 'Executions already scheduled keep what they were scheduled with.',
  })
  async update(@Param('ref') ref: string, @Body() body: UpdateActionDto): Promise<{ data: ActionDto }> {
    return { data: toActionDto(await this.actions.update(ref, body)) };
  }

  @ApiDeleteRoute('admin', ':ref', [404, 409], {
    summary: 'Delete an action (admin)',
    description: '409 while it has executions that have not finished, while a saved workflow has a task that runs it (details name each workflow), or when it is built in.',
  })
  async delete(@Param('ref') ref: string): Promise<void> {
    await this.actions.delete(ref);
  }
}
