import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ApiDataResponse, ApiErrors, ApiPaginatedResponse } from '../common/openapi.decorators';
import { AllowExecutionToken, CurrentPrincipal, type Principal, RequireRole } from '../auth/auth.decorators';
import { paginated, type Paginated } from '../common/pagination';
import { ExecuteDto, ExecutionDto, ExecutionListQuery, type ExecutionResponse, toExecutionDto } from './execution.dto';
import { ExecutionsService } from './executions.service';
import { idPipe } from '../common/id.pipe';

@ApiTags('executions')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('api/v1/executions')
export class ExecutionsController {
  constructor(private readonly executions: ExecutionsService) {}

  @Post('execute')
  @RequireRole('operator')
  @HttpCode(201)
  @ApiDataResponse(ExecutionDto, 201, 'Recorded with status "requested"')
  @ApiErrors(400, 404, 413, 422)
  async execute(@CurrentPrincipal() principal: Principal, @Body() body: ExecuteDto): Promise<ExecutionResponse> {
    return { data: toExecutionDto(await this.executions.execute(principal, body)) };
  }

  @Get()
  @RequireRole('viewer')
  @ApiPaginatedResponse(ExecutionDto)
  @ApiErrors(422)
  async list(@Query() q: ExecutionListQuery): Promise<Paginated<ExecutionDto>> {
    const { items, total } = await this.executions.list(
      { status: q.status, actionRef: q.action_ref, parent: q.parent, enforcement: q.enforcement },
      q.page,
      q.per_page,
    );
    return paginated(items.map(toExecutionDto), total, q);
  }

  @Post(':id/cancel')
  @RequireRole('operator')
  @HttpCode(200)
  @ApiDataResponse(ExecutionDto, 200, 'Cancellation requested: the execution as the executor has recorded it so far (canceling or cancelled)')
  @ApiErrors(400, 404, 409, 503)
  async cancel(@CurrentPrincipal() principal: Principal, @Param('id', idPipe) id: number): Promise<ExecutionResponse> {
    return { data: toExecutionDto(await this.executions.cancel(principal, id)) };
  }

  @Get(':id')
  @RequireRole('viewer')
  @AllowExecutionToken()
  @ApiDataResponse(ExecutionDto)
  @ApiErrors(400, 403, 404)
  async get(@CurrentPrincipal() principal: Principal, @Param('id', idPipe) id: number): Promise<ExecutionResponse> {
    return { data: toExecutionDto(await this.executions.get(principal, id)) };
  }
}
