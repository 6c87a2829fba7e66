import { DomainError, isTerminal, WORKFLOW_RUNTIME } from '@attune/contracts';
import { ActionRepository, type ExecutionEntity, type WorkflowTaskRunRecord, WorkflowRunReader } from '@attune/persistence';
import { parseWorkflowDefinition, type WorkflowDefinition, workflowGraph } from '@attune/workflows';
import { Injectable } from '@nestjs/common';
import type { WorkflowNodeDto, WorkflowViewDto } from './workflow.dto';
import { isoOrNull } from '../common/records';

/**
 * The run stores the normalized definition it started with; a definition as written (the
 * action's, before the engine has started the run) is normalized here. Anything that does not
 * look normalized goes through the parser, so the view never trusts a shape it did not check.
 */
function normalized(raw: Record<string, unknown>): WorkflowDefinition {
  const tasks = raw.tasks;
  const isModel =
    Array.isArray(tasks) &&
    tasks.every((t) => t && typeof t === 'object' && Array.isArray((t as Record<string, unknown>).next) && Array.isArray((t as Record<string, unknown>).dependsOn));
  return isModel ? (raw as unknown as WorkflowDefinition) : parseWorkflowDefinition(raw).definition;
}

/**
 * `GET /api/v1/executions/{id}/workflow`: a workflow run drawn as a graph. The nodes and edges
 * come from the definition the run started with (`workflowGraph`), the statuses, child
 * executions and variables from what the executor's engine recorded. Before the engine has
 * started the run (the parent is still `requested`), the action's definition is drawn with
 * every task pending.
 */
@Injectable()
export class WorkflowViewService {
  constructor(
    private readonly runs: WorkflowRunReader,
    private readonly actions: ActionRepository,
  ) {}

  async view(execution: ExecutionEntity): Promise<WorkflowViewDto> {
    const run = await this.runs.findRun(execution.id);
    if (!run) return this.notStarted(execution);
    const definition = normalized(run.definition);
    const [tasks, taskRuns] = await Promise.all([this.runs.findTasks(run.execution), this.runs.findTaskRuns(run.execution)]);
    const byTask = new Map(tasks.map((t) => [t.taskName, t]));
    const runsByTask = new Map<string, WorkflowTaskRunRecord[]>();
    for (const r of taskRuns) runsByTask.set(r.taskName, [...(runsByTask.get(r.taskName) ?? []), r]);
    const ended = isTerminal(execution.status);

    const nodes: WorkflowNodeDto[] = definition.tasks.map((task) => {
      const record = byTask.get(task.name);
      const children = runsByTask.get(task.name) ?? [];
      const firstStart = children.map((c) => c.startedAt ?? c.created).filter(Boolean).sort((a, b) => +new Date(a) - +new Date(b))[0];
      return {
        task: task.name,
        action: task.action,
        status: record?.status ?? (children.length ? children[children.length - 1].status : ended ? 'skipped' : 'pending'),
        executions: children.map((c) => c.execution).filter((id): id is number => id !== null),
        runs: children.map((c) => ({
          execution: c.execution,
          item_index: c.itemIndex,
          attempt: c.attempt,
          status: c.status,
          workflow: c.workflow,
          started_at: isoOrNull(c.startedAt),
          finished_at: isoOrNull(c.finishedAt),
        })),
        items: record?.itemCount !== null && record?.itemCount !== undefined ? { total: record.itemCount, done: record.itemsDone } : null,
        started_at: isoOrNull(record?.startedAt ?? firstStart),
        finished_at: isoOrNull(record?.finishedAt),
      };
    });
    return {
      execution: execution.id,
      definition_ref: run.actionRef,
      status: execution.status,
      error: run.error,
      nodes,
      edges: this.edges(definition),
      vars: run.vars,
    };
  }

  private async notStarted(execution: ExecutionEntity): Promise<WorkflowViewDto> {
    const action = execution.action === null ? null : await this.actions.findById(execution.action);
    if (!action || action.runtime !== WORKFLOW_RUNTIME || !action.workflowDefinition) {
      throw new DomainError('NOT_FOUND', `execution ${execution.id} is not a workflow run`);
    }
    const definition = normalized(action.workflowDefinition);
    const ended = isTerminal(execution.status);
    return {
      execution: execution.id,
      definition_ref: action.ref,
      status: execution.status,
      error: null,
      nodes: definition.tasks.map((t) => ({
        task: t.name,
        action: t.action,
        status: ended ? 'skipped' : 'pending',
        executions: [],
        runs: [],
        items: null,
        started_at: null,
        finished_at: null,
      })),
      edges: this.edges(definition),
      vars: definition.vars,
    };
  }

  private edges(definition: WorkflowDefinition) {
    return workflowGraph(definition).edges.map((e) => ({ from: e.from, to: e.to, when: e.when, kind: e.kind }));
  }
}
