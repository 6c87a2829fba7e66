import { Body, Param, Query } from '@nestjs/common';
import { ApiBody } from '@nestjs/swagger';
import { ApiController, ApiCreateRoute, ApiDeleteRoute, ApiGetRoute, ApiListRoute, ApiUpdateRoute } from '../common/openapi.decorators';
import { paginated, type Paginated } from '../common/pagination';
import {
  CreateWorkflowDto,
  toWorkflowDto,
  toWorkflowSummaryDto,
  UpdateWorkflowDto,
  WORKFLOW_EXAMPLE,
  WorkflowDto,
  WorkflowListQuery,
  WorkflowSummaryDto,
} from './workflow.dto';
import { WorkflowsService } from './workflows.service';

const INVALID =
  '422 when the body or the definition is invalid, with every problem in details as {field, message}: ' +
  '`definition.tasks.<task>.<field>` for a task (a cycle in depends_on, a name in do/depends_on that is not a task, an ' +
  'expression that does not parse or is refused, an action that does not exist), `definition.<field>` otherwise. Nothing is saved.';

@ApiController('workflows', 'api/v1/workflows')
export class WorkflowsController {
  constructor(private readonly workflows: WorkflowsService) {}

  @ApiListRoute({
    summary: 'List workflows',
    description: 'Workflows are actions with runtime `workflow`. Filters: pack_ref, tags (comma-separated, any of them), enabled, search (ref, label, description).',
  }, WorkflowSummaryDto, 'page')
  async list(@Query() q: WorkflowListQuery): Promise<Paginated<WorkflowSummaryDto>> {
    const { items, total } = await this.workflows.list({ packRef: q.pack_ref, tags: q.tags, enabled: q.enabled, search: q.search }, q.page, q.per_page);
    return paginated(items.map(toWorkflowSummaryDto), total, q);
  }

  @ApiCreateRoute('admin', '', WorkflowDto, [400, 409, 413, 422], {
    summary: 'Create a workflow in an existing pack (admin)',
    description: `The workflow is also an action of the same ref (GET /api/v1/actions/{ref} shows runtime "workflow"): execute it, target it from rules, use it as a task of another workflow. ${INVALID} 409 when the ref exists or the pack is built in.`,
    answer: 'Created',
  })
  @ApiBody({ type: CreateWorkflowDto, examples: { sequential: { summary: 'Two tasks passing a value with publish', value: WORKFLOW_EXAMPLE } } })
  async create(@Body() body: CreateWorkflowDto): Promise<{ data: WorkflowDto }> {
    return { data: toWorkflowDto(await this.workflows.create(body)) };
  }

  @ApiGetRoute('viewer', ':ref', WorkflowDto, [404], { summary: 'One workflow, with its definition as written' })
  async get(@Param('ref') ref: string): Promise<{ data: WorkflowDto }> {
    return { data: toWorkflowDto(await this.workflows.get(ref)) };
  }

  @ApiUpdateRoute('admin', ':ref', WorkflowDto, [400, 404, 409, 413, 422], {
    summary: 'Change a workflow (admin)',
    description: `Fields left out keep their value. Runs already started keep the definition they started with. ${INVALID} 409 for a built-in pack.`,
  })
  async update(@Param('ref') ref: string, @Body() body: UpdateWorkflowDto): Promise<{ data: WorkflowDto }> {
    return { data: toWorkflowDto(await this.workflows.update(ref, body)) };
  }

  @ApiDeleteRoute('admin', ':ref', [404, 409], {
    summary: 'Delete a workflow (admin)',
    description: 'Deletes its action too. 409 while runs of it have not finished, or while another saved workflow uses it as a task (details name each).',
  })
  async delete(@Param('ref') ref: string): Promise<void> {
    await this.workflows.delete(ref);
  }
}
