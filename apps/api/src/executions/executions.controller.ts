import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { AllowExecutionToken, CurrentPrincipal, type Principal } from '../auth/auth.decorators';
import { paginated, type Paginated } from '../common/pagination';
import { ExecuteDto, type ExecutionDto, ExecutionListQuery, ExecutionResponse, toExecutionDto } from './execution.dto';
import { ExecutionsService } from './executions.service';
import { idPipe } from '../common/id.pipe';

@ApiTags('executions')
@ApiBearerAuth()
@Controller('api/v1/executions')
export class ExecutionsController {
  constructor(private readonly executions: ExecutionsService) {}

  @Post('execute')
  @HttpCode(201)
  @ApiCreatedResponse({ type: ExecutionResponse, description: 'Recorded with status "requested"' })
  @ApiNotFoundResponse({ description: 'Unknown action' })
  @ApiBadRequestResponse({ description: 'The action is disabled, or the body is malformed' })
  @ApiUnprocessableEntityResponse({ description: 'Parameters fail the action schema; details lists each field' })
  async execute(@CurrentPrincipal() principal: Principal, @Body() body: ExecuteDto): Promise<ExecutionResponse> {
    return { data: toExecutionDto(await this.executions.execute(principal, body)) };
  }

  @Get()
  async list(@Query() q: ExecutionListQuery): Promise<Paginated<ExecutionDto>> {
    const { items, total } = await this.executions.list(
      { status: q.status, actionRef: q.action_ref, parent: q.parent, enforcement: q.enforcement },
      q.page,
      q.per_page,
    );
    return paginated(items.map(toExecutionDto), total, q);
  }

  @Get(':id')
  @AllowExecutionToken()
  @ApiOkResponse({ type: ExecutionResponse })
  @ApiNotFoundResponse()
  async get(@CurrentPrincipal() principal: Principal, @Param('id', idPipe) id: number): Promise<ExecutionResponse> {
    return { data: toExecutionDto(await this.executions.get(principal, id)) };
  }
}
