import { EXECUTE_EXAMPLES, EXECUTION_EXAMPLE } from '../common/openapi-examples';
import { Body, Param, Query } from '@nestjs/common';
import { ApiBody } from '@nestjs/swagger';
import { ApiCommandRoute, ApiController, ApiCreateRoute, ApiGetRoute, ApiListRoute } from '../common/openapi.decorators';
import { CurrentPrincipal, type Principal } from '../auth/auth.decorators';
import { OwnExecutionOnly } from '../auth/execution-scope.guard';
import { createdRange, cursorPaginated, type CursorPaginated, listRequest } from '../common/pagination';
import { ExecuteDto, ExecutionDto, ExecutionListQuery, type ExecutionResponse, toExecutionDto } from './execution.dto';
import { ExecutionsService } from './executions.service';
import { idPipe } from '../common/id.pipe';

@ApiController('executions', 'api/v1/executions', [401])
export class ExecutionsController {
  constructor(private readonly executions: ExecutionsService) {}

  @ApiCreateRoute('operator', 'execute', ExecutionDto, [400, 404, 413, 422], {
    summary: 'Run an action',
    answer: 'Recorded with status "requested"',
    example: EXECUTION_EXAMPLE,
  })
  @ApiBody({ type: ExecuteDto, examples: EXECUTE_EXAMPLES })
  async execute(@CurrentPrincipal() principal: Principal, @Body() body: ExecuteDto): Promise<ExecutionResponse> {
    return { data: toExecutionDto(await this.executions.execute(principal, body)) };
  }

  @ApiListRoute({ summary: 'List executions, newest first' }, ExecutionDto, 'cursor')
  async list(@Query() q: ExecutionListQuery): Promise<CursorPaginated<ExecutionDto>> {
    const page = await this.executions.list(
      {
        status: q.status,
        actionRef: q.action_ref,
        parent: q.parent,
        enforcement: q.enforcement,
        executorLogin: q.executor_login,
        ...createdRange(q),
      },
      listRequest(q),
    );
    return cursorPaginated(page, q, toExecutionDto);
  }

  @ApiCommandRoute('operator', ':id/cancel', ExecutionDto, [400, 404, 409, 503], {
    summary: 'Cancel an execution',
    description:
      'Asks the executor, which answers once it has recorded the cancel: `cancelled` when the execution had not started, `canceling` while its worker stops it. ' +
      '409 when it is already terminal; 503 when the executor does not answer within ATTUNE_CANCEL_TIMEOUT_MS (nothing was cancelled unless it was already being handled; try again).',
    answer: 'The execution as the executor left it: cancelled, or canceling until its worker reports',
  })
  async cancel(@CurrentPrincipal() principal: Principal, @Param('id', idPipe) id: number): Promise<ExecutionResponse> {
    return { data: toExecutionDto(await this.executions.cancel(principal, id)) };
  }

  @ApiGetRoute('viewer', ':id', ExecutionDto, [400, 403, 404], { summary: 'One execution with its result' })
  @OwnExecutionOnly()
  async get(@Param('id', idPipe) id: number): Promise<ExecutionResponse> {
    return { data: toExecutionDto(await this.executions.get(id)) };
  }
}
