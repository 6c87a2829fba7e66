import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireRole } from '../auth/auth.decorators';
import { ApiDataResponse, ApiErrors, ApiPaginatedResponse } from '../common/openapi.decorators';
import { paginated, type Paginated } from '../common/pagination';
import { ActionDto, ActionListQuery, CreateActionDto, toActionDto, UpdateActionDto } from './action.dto';
import { ActionsService } from './actions.service';

@ApiTags('actions')
@ApiBearerAuth()
@ApiErrors(401, 403)
@Controller('api/v1/actions')
export class ActionsController {
  constructor(private readonly actions: ActionsService) {}

  @Get()
  @RequireRole('viewer')
  @ApiOperation({ summary: 'List actions', description: 'Filter with ?pack_ref=.' })
  @ApiPaginatedResponse(ActionDto)
  @ApiErrors(422)
  async list(@Query() q: ActionListQuery): Promise<Paginated<ActionDto>> {
    const { items, total } = await this.actions.list(q.pack_ref, q.page, q.per_page);
    return paginated(items.map(toActionDto), total, q);
  }

  @Post()
  @HttpCode(201)
  @RequireRole('admin')
  @ApiOperation({
    summary: 'Create an action in an existing pack (admin)',
    description: '422 with every failing field (unknown runtime, a script that is not in the pack\'s archive, an invalid schema…); 409 when the ref exists or the pack is built in.',
  })
  @ApiDataResponse(ActionDto, 201)
  @ApiErrors(400, 409, 413, 422)
  async create(@Body() body: CreateActionDto): Promise<{ data: ActionDto }> {
    return { data: toActionDto(await this.actions.create(body)) };
  }

  @Get(':ref')
  @RequireRole('viewer')
  @ApiOperation({ summary: 'One action' })
  @ApiDataResponse(ActionDto)
  @ApiErrors(404)
  async get(@Param('ref') ref: string): Promise<{ data: ActionDto }> {
    return { data: toActionDto(await this.actions.get(ref)) };
  }

  @Put(':ref')
  @RequireRole('admin')
  @ApiOperation({ summary: 'Change an action (admin)', description: 'Executions already scheduled keep what they were scheduled with.' })
  @ApiDataResponse(ActionDto)
  @ApiErrors(400, 404, 409, 413, 422)
  async update(@Param('ref') ref: string, @Body() body: UpdateActionDto): Promise<{ data: ActionDto }> {
    return { data: toActionDto(await this.actions.update(ref, body)) };
  }

  @Delete(':ref')
  @HttpCode(204)
  @RequireRole('admin')
  @ApiOperation({ summary: 'Delete an action (admin)', description: '409 while it has executions that have not finished, or when it is built in.' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors(404, 409)
  async delete(@Param('ref') ref: string): Promise<void> {
    await this.actions.delete(ref);
  }
}
