import { Param } from '@nestjs/common';
import { OwnExecutionOnly } from '../auth/execution-scope.guard';
import { idPipe } from '../common/id.pipe';
import { ApiController, ApiGetRoute } from '../common/openapi.decorators';
import { ExecutionsService } from '../executions/executions.service';
import { WorkflowViewDto } from './workflow.dto';
import { WorkflowViewService } from './workflow-view.service';

@ApiController('executions', 'api/v1/executions', [401])
export class ExecutionWorkflowController {
  constructor(
    private readonly executions: ExecutionsService,
    private readonly views: WorkflowViewService,
  ) {}

  @ApiGetRoute('viewer', ':id/workflow', WorkflowViewDto, [400, 403, 404], {
    summary: 'A workflow run as a graph',
    description:
      'Nodes (one per task, with status, child executions, timestamps) and edges (transitions and depends_on) of the workflow ' +
      'the execution runs, and its variables. Visible to whoever may read the execution. 404 when the execution is not a workflow run.',
  })
  @OwnExecutionOnly()
  async view(@Param('id', idPipe) id: number): Promise<{ data: WorkflowViewDto }> {
    // The execution's own visibility rule decides first (403/404 as GET /executions/{id}).
    const execution = await this.executions.get(id);
    return { data: await this.views.view(execution) };
  }
}
