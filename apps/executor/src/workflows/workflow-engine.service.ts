import {
  ALLOWED_FROM,
  type ExecutionResult,
  type ExecutionStatus,
  ParameterSchemaValidator,
  isTerminal,
  secretParameters,
} from '@attune/contracts';
import { ActionRepository, type ActionEntity, type ExecutionEntity, ParameterSecrets } from '@attune/persistence';
import { type Logger, ROOT_LOGGER } from '@attune/service-kit';
import {
  evaluateWorkflowCondition,
  evaluateWorkflowItems,
  parseWorkflowDefinition,
  renderWorkflowValue,
  workflowFunctionScope,
  workflowGraph,
  type WorkflowTask,
} from '@attune/workflows';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Counter } from 'prom-client';
import type { DataSource } from 'typeorm';
import { ExecutorConfig } from '../config/executor.config';
import { ExecutionCanceller } from '../control/execution-canceller.service';
import { ExecutionScheduler } from '../scheduling/execution-scheduler.service';
import { ExecutionEndings } from './execution-endings';
import { WorkflowHooks } from './workflow-hooks';
import { type RunRow, type TaskRow, type TaskRunRow, type TaskRunStatus, type TaskStatus, WorkflowStore } from './workflow-store';

const runsEnded = new Counter({ name: 'attune_workflow_runs_finished_total', help: 'Workflow runs that reached a terminal status', labelNames: ['status'] });
const childrenCreated = new Counter({ name: 'attune_workflow_task_runs_total', help: 'Child executions created by workflow runs' });

/** What one step leaves to do once its transaction has committed. */
interface AfterCommit {
  schedule: number[];
  cancel: number[];
  /** Parents that ended in this step and are themselves tasks of a workflow. */
  ended: number[];
  /** Delayed retries to start when due (ms from now). */
  delayed: Array<{ run: number; taskRun: number; ms: number }>;
}

/** Everything a step reads and changes, loaded once under the run's lock. */
interface Step {
  store: WorkflowStore;
  run: RunRow;
  tasks: Map<string, TaskRow>;
  byName: Map<string, WorkflowTask>;
  parent: ExecutionEntity;
  parameters: Record<string, unknown>;
  after: AfterCommit;
  actions: Map<string, ActionEntity | null>;
}

function outcomeOf(status: ExecutionStatus): TaskRunStatus {
  switch (status) {
    case 'completed':
      return 'succeeded';
    case 'timeout':
      return 'timed_out';
    case 'cancelled':
      return 'cancelled';
    default:
      return 'failed';
  }
}

function retryDelaySeconds(task: WorkflowTask, failedAttempt: number): number {
  const retry = task.retry;
  if (!retry || retry.delay <= 0) return 0;
  let delay = retry.delay;
  if (retry.backoff === 'linear') delay = retry.delay * failedAttempt;
  else if (retry.backoff === 'exponential') delay = retry.delay * 2 ** (failedAttempt - 1);
  return retry.maxDelay !== null ? Math.min(delay, retry.maxDelay) : delay;
}

/**
 * Runs workflows. A run is a parent execution, and each task run is an ordinary child
 * execution that the scheduler dispatches like any other: workers know nothing of workflows.
 *
 * The engine moves in steps, each one transaction under a lock on the run's row: start the run,
 * a child ended, a delayed retry is due, cancel, time out. A step records the outcome, evaluates
 * transitions and publishes, and inserts the next children; they are scheduled once it commits.
 * A child's task run ends only once (`UPDATE … WHERE status = 'active'`), and a task run is
 * unique on (run, task, item, attempt), so a repeated completion or a second executor changes
 * nothing. What a crash leaves half done (children committed but not scheduled, a completion
 * not yet stepped) is picked up by the sweeps.
 */
@Injectable()
export class WorkflowEngine implements OnApplicationShutdown {
  private readonly validator = new ParameterSchemaValidator();
  private cipher?: ParameterSecrets;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly actions: ActionRepository,
    private readonly config: ExecutorConfig,
    private readonly scheduler: ExecutionScheduler,
    private readonly canceller: ExecutionCanceller,
    endings: ExecutionEndings,
    hooks: WorkflowHooks,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {
    hooks.start = (execution, action) => this.start(execution, action);
    hooks.cancel = (executionId) => this.cancel(executionId);
    endings.subscribe(async (execution) => {
      if (!execution.workflowTask || !isTerminal(execution.status)) return;
      await this.childEnded(execution.id).catch((err: Error) =>
        this.logger.warn({ execution_id: execution.id, err: err.message }, 'workflow step failed; the sweep will take it up'),
      );
    });
  }

  onApplicationShutdown(): void {
    for (const t of this.timers) clearTimeout(t);
  }

  /** Starts the run of a workflow action's execution (status `scheduling`). */
  async start(execution: ExecutionEntity, action: ActionEntity): Promise<void> {
    const log = this.logger.child({ execution_id: execution.id, workflow: action.ref });
    const parsed = parseWorkflowDefinition(action.workflowDefinition ?? {});
    if (parsed.problems.length || !action.workflowDefinition) {
      const why = parsed.problems.map((p) => `${p.task ? `tasks.${p.task}.` : ''}${p.field}: ${p.message}`).join('; ');
      await this.failBeforeStart(execution.id, `the workflow definition of "${action.ref}" is invalid: ${why || 'missing'}`);
      return;
    }
    const definition = parsed.definition;
    const parameters = this.parametersOf(execution);
    const after = this.emptyAfter();
    await this.ds.transaction(async (em) => {
      const store = new WorkflowStore(em);
      let vars: Record<string, unknown>;
      try {
        vars = renderWorkflowValue(definition.vars, this.baseScope(execution, action.ref, parameters, {})) as Record<string, unknown>;
      } catch (err) {
        await store.transitionParent(execution.id, 'failed', ALLOWED_FROM.failed, this.runResult(false, `vars: ${(err as Error).message}`, undefined, {}));
        return;
      }
      if (!(await store.createRun(execution.id, action.ref, definition, vars))) return;
      if (!(await store.startParent(execution.id))) {
        // Cancelled (or otherwise moved) before it started: there is nothing to run.
        await em.query(`UPDATE workflow_runs SET status = 'cancelled' WHERE execution = $1`, [execution.id]);
        return;
      }
      const step = await this.load(store, execution.id, after);
      if (!step) return;
      const graph = workflowGraph(definition);
      for (const name of graph.startTasks) await this.activate(step, name);
      await this.finishIfDone(step);
      await this.save(step);
    });
    log.info({ children: after.schedule.length }, 'workflow started');
    await this.afterCommit(after);
  }

  /**
   * A child execution is terminal: step its run. Repeats are no-ops.
   *
   * Children of one run often end together (a `with_items` batch). Each would wait on the run's
   * row lock holding a pooled connection, and a few such waits exhaust the pool that scheduling
   * and claims need. So a step never waits for the lock: it takes it or returns at once, and the
   * step holding it takes in every child that has ended, then looks again after it commits. A
   * child that found the run locked ended (committed) before that look, so it is taken in then.
   */
  async childEnded(childId: number): Promise<void> {
    const owner: Array<{ run: string }> = await this.ds.query(`SELECT run FROM workflow_task_runs WHERE execution = $1`, [childId]);
    if (owner.length) await this.stepEndedChildren(Number(owner[0].run));
  }

  /** Takes in the run's ended children, one step at a time, until none is left or another step holds the run. */
  private async stepEndedChildren(runId: number): Promise<void> {
    for (let stepped = true; stepped; ) {
      stepped = false;
      const after = this.emptyAfter();
      await this.ds.transaction(async (em) => {
        const store = new WorkflowStore(em);
        const run = await store.tryLockRun(runId);
        if (!run) return;
        const step = await this.load(store, runId, after, run);
        if (!step) return;
        for (const child of await store.endedChildren(runId)) {
          const taskRun = await store.endTaskRunOf(child.id, outcomeOf(child.status));
          if (!taskRun) continue;
          await this.taskRunEnded(step, taskRun, taskRun.status, child.result);
          stepped = true;
        }
        if (!stepped) return;
        await this.finishIfDone(step);
        await this.save(step);
      });
      await this.afterCommit(after);
    }
  }

  /** A delayed retry is due: create its child. */
  async startDelayed(runId: number, taskRunId: number): Promise<void> {
    const after = this.emptyAfter();
    await this.ds.transaction(async (em) => {
      const store = new WorkflowStore(em);
      const step = await this.load(store, runId, after);
      if (!step) return;
      const taskRun = await store.claimDelayed(taskRunId);
      if (!taskRun) return;
      const task = step.byName.get(taskRun.taskName);
      if (!task) return;
      await this.createChild(step, task, taskRun.itemIndex, taskRun.attempt, taskRun.id);
      await this.finishIfDone(step);
      await this.save(step);
    });
    await this.afterCommit(after);
    // A child that ended while this step held the run left it to this step (see childEnded).
    await this.stepEndedChildren(runId);
  }

  /**
   * Cancels a run: nothing new starts, waiting retries are dropped, and under `cancel_running`
   * its running children are cancelled too. Answers false when the execution is no workflow run.
   */
  async cancel(executionId: number): Promise<boolean> {
    const after = this.emptyAfter();
    let isRun = false;
    await this.ds.transaction(async (em) => {
      const store = new WorkflowStore(em);
      const run = await store.lockRun(executionId);
      if (!run) return;
      isRun = true;
      if (run.status !== 'running') return;
      const step = await this.load(store, executionId, after, run);
      if (!step) return;
      await store.transitionParent(executionId, 'canceling', ALLOWED_FROM.canceling);
      step.run.status = 'canceling';
      await store.cancelDelayed(executionId);
      if (run.definition.cancellationPolicy === 'cancel_running') {
        for (const open of await store.openTaskRuns(executionId)) if (open.execution !== null) after.cancel.push(open.execution);
      }
      await this.finishIfDone(step);
      await this.save(step);
    });
    if (isRun) this.logger.info({ execution_id: executionId, cancel: after.cancel.length }, 'workflow canceling');
    await this.afterCommit(after);
    if (isRun) await this.stepEndedChildren(executionId);
    return isRun;
  }

  /** The run's timeout passed: it ends `timeout` now, and its running children are cancelled. */
  async timeOut(runId: number): Promise<void> {
    const after = this.emptyAfter();
    await this.ds.transaction(async (em) => {
      const store = new WorkflowStore(em);
      const step = await this.load(store, runId, after);
      if (!step || !step.run.timeoutAt || step.run.timeoutAt.getTime() > Date.now()) return;
      await store.cancelDelayed(runId);
      for (const open of await store.openTaskRuns(runId)) if (open.execution !== null) after.cancel.push(open.execution);
      await this.finish(step, 'timeout', `the workflow timed out after ${step.run.definition.timeout} s`);
      await this.save(step);
    });
    await this.afterCommit(after);
  }

  // ── steps ────────────────────────────────────────────────────────────────────────────────

  private emptyAfter(): AfterCommit {
    return { schedule: [], cancel: [], ended: [], delayed: [] };
  }

  /** Locks the run and reads what a step needs; null when the run is over or gone. */
  private async load(store: WorkflowStore, runId: number, after: AfterCommit, locked?: RunRow): Promise<Step | null> {
    const run = locked ?? (await store.lockRun(runId));
    if (!run || (run.status !== 'running' && run.status !== 'canceling')) return null;
    const parent = await store.parent(runId);
    if (!parent) return null;
    return {
      store,
      run,
      tasks: await store.tasks(runId),
      byName: new Map(run.definition.tasks.map((t) => [t.name, t])),
      parent,
      parameters: this.parametersOf(parent),
      after,
      actions: new Map(),
    };
  }

  private async save(step: Step): Promise<void> {
    await step.store.saveTasks(step.run.execution, step.tasks.values());
    await step.store.saveRun(step.run);
  }

  private async afterCommit(after: AfterCommit): Promise<void> {
    for (const id of after.cancel) {
      await this.canceller.cancel(id).catch((err: Error) => this.logger.warn({ execution_id: id, err: err.message }, 'could not cancel a workflow task'));
    }
    for (const id of after.schedule) {
      // A child not scheduled here (a crash, the broker away) stays `requested`: the execution sweep schedules it.
      await this.scheduler.schedule(id).catch((err: Error) => this.logger.warn({ execution_id: id, err: err.message }, 'task run created but not scheduled yet; the sweep will'));
    }
    for (const d of after.delayed) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        void this.startDelayed(d.run, d.taskRun).catch((err: Error) => this.logger.warn({ err: err.message }, 'delayed retry failed to start; the sweep will'));
      }, d.ms);
      timer.unref();
      this.timers.add(timer);
    }
    for (const id of after.ended) await this.childEnded(id);
  }

  /** A task's run ended (`outcome`): retry it, start the next item, or end the task. */
  private async taskRunEnded(step: Step, taskRun: TaskRunRow, outcome: TaskRunStatus, result: unknown): Promise<void> {
    const task = step.byName.get(taskRun.taskName);
    const row = step.tasks.get(taskRun.taskName);
    if (!task || !row) return;
    const open = step.run.status === 'running' && !step.run.failed;
    if (outcome !== 'succeeded' && outcome !== 'cancelled' && open && task.retry && taskRun.attempt <= task.retry.count) {
      const delay = retryDelaySeconds(task, taskRun.attempt);
      if (delay <= 0) {
        await this.createChild(step, task, taskRun.itemIndex, taskRun.attempt + 1);
      } else {
        const id = await step.store.insertTaskRun(step.run.execution, task.name, taskRun.itemIndex, taskRun.attempt + 1, 'delayed', new Date(Date.now() + delay * 1000));
        if (id !== null) step.after.delayed.push({ run: step.run.execution, taskRun: id, ms: delay * 1000 });
      }
      return;
    }
    if (row.items !== null) {
      row.itemsDone += 1;
      if (outcome !== 'succeeded') row.itemFailed = true;
      row.dirty = true;
      await this.startItems(step, task, row);
      if (row.itemsDone < row.items.length) {
        // Items that will never start (the run stopped) do not hold the task open.
        if (open || row.itemsDone < row.nextItem) return;
      }
      const items = await step.store.itemResults(step.run.execution, task.name);
      const status: TaskStatus = row.itemFailed || row.itemsDone < row.items.length ? 'failed' : 'succeeded';
      await this.taskEnded(step, task, row, status, items.map((i) => i.result));
      return;
    }
    await this.taskEnded(step, task, row, outcome as TaskStatus, result);
  }

  /** A task is over: record it, fire its transitions, start what follows. */
  private async taskEnded(step: Step, task: WorkflowTask, row: TaskRow, status: TaskStatus, result: unknown): Promise<void> {
    row.status = status;
    row.result = result ?? null;
    row.finishedAt = new Date();
    row.dirty = true;
    if (step.run.status !== 'running') {
      row.handled = status === 'succeeded';
      return;
    }
    const fired: string[] = [];
    let handled = status === 'succeeded';
    const outcome = { status: status === 'timed_out' ? ('timed_out' as const) : status === 'succeeded' ? ('succeeded' as const) : ('failed' as const), result: row.result };
    for (const [i, transition] of task.next.entries()) {
      let holds: boolean;
      try {
        holds = transition.when === null || evaluateWorkflowCondition(transition.when, { ...this.scope(step), ...workflowFunctionScope(outcome) });
      } catch (err) {
        return this.stop(step, row, `tasks.${task.name}.next[${i}].when: ${(err as Error).message}`);
      }
      if (!holds) continue;
      handled = true;
      for (const entry of transition.publish) {
        try {
          step.run.vars = { ...step.run.vars, [entry.name]: renderWorkflowValue(entry.value, { ...this.scope(step), ...workflowFunctionScope(outcome) }) };
        } catch (err) {
          return this.stop(step, row, `tasks.${task.name}.next[${i}].publish.${entry.name}: ${(err as Error).message}`);
        }
      }
      fired.push(...transition.do);
    }
    row.handled = handled;
    if (!handled) {
      // An unhandled failure: the run fails, and nothing new starts.
      step.run.failed = true;
      step.run.error ??= `task "${task.name}" ${status === 'timed_out' ? 'timed out' : status}`;
      return;
    }
    const graph = workflowGraph(step.run.definition);
    for (const target of fired) {
      const t = step.tasks.get(target);
      if (!t) continue;
      t.inbound += 1;
      t.dirty = true;
      const join = step.byName.get(target)?.join ?? null;
      const needed = join === null ? 1 : join === 'all' ? graph.inboundTransitions[target] ?? 1 : join;
      if (t.inbound >= needed) await this.activate(step, target);
    }
    if (status === 'succeeded') {
      for (const other of step.run.definition.tasks) {
        if (!other.dependsOn.includes(task.name)) continue;
        if (other.dependsOn.every((d) => step.tasks.get(d)?.status === 'succeeded')) await this.activate(step, other.name);
      }
    }
  }

  /** The run cannot go on (an expression failed where the definition could not check it). */
  private stop(step: Step, row: TaskRow, error: string): void {
    row.handled = false;
    step.run.failed = true;
    step.run.error ??= error;
  }

  /** A task that cannot start fails, and so does its run (stop). */
  private failToStart(step: Step, row: TaskRow, error: string): void {
    row.status = 'failed';
    row.finishedAt = new Date();
    this.stop(step, row, error);
  }

  /** One of a task's expressions, evaluated; one that throws fails the task (failToStart) and answers undefined. */
  private evaluateForTask<T>(step: Step, row: TaskRow, field: string, evaluate: () => T): { value: T } | undefined {
    try {
      return { value: evaluate() };
    } catch (err) {
      this.failToStart(step, row, `${field}: ${(err as Error).message}`);
      return undefined;
    }
  }

  /** Starts a task that a transition or its dependencies reached (once). */
  private async activate(step: Step, name: string): Promise<void> {
    const row = step.tasks.get(name);
    const task = step.byName.get(name);
    if (!row || !task || row.status !== 'pending' || step.run.status !== 'running' || step.run.failed) return;
    row.startedAt = new Date();
    row.dirty = true;
    const scope = this.scope(step);
    const when = task.when;
    if (when !== null) {
      const holds = this.evaluateForTask(step, row, `tasks.${name}.when`, () => evaluateWorkflowCondition(when, scope));
      if (!holds) return;
      if (!holds.value) {
        row.status = 'skipped';
        row.finishedAt = new Date();
        return;
      }
    }
    row.status = 'running';
    const withItems = task.withItems;
    if (withItems === null) {
      await this.createChild(step, task, -1, 1);
      return;
    }
    const evaluated = this.evaluateForTask(step, row, `tasks.${name}.with_items`, () => evaluateWorkflowItems(withItems, scope));
    if (!evaluated) return;
    const items = evaluated.value;
    if (!Array.isArray(items)) {
      return this.failToStart(step, row, `tasks.${name}.with_items: must give a list, not ${items === null ? 'null' : typeof items}`);
    }
    row.items = items;
    if (!items.length) return this.taskEnded(step, task, row, 'succeeded', []);
    await this.startItems(step, task, row);
  }

  /** Starts items of a with_items task while fewer than `concurrency` run. */
  private async startItems(step: Step, task: WorkflowTask, row: TaskRow): Promise<void> {
    if (row.items === null || step.run.status !== 'running' || step.run.failed) return;
    while (row.nextItem < row.items.length && row.nextItem - row.itemsDone < task.concurrency) {
      const index = row.nextItem;
      row.nextItem += 1;
      row.dirty = true;
      await this.createChild(step, task, index, 1);
    }
  }

  /**
   * Creates one child execution for a task (item, attempt). Its input is rendered and checked
   * against the action's schema here; a child whose input cannot be made is recorded `failed`
   * with the reason, and ends its task run at once.
   */
  private async createChild(step: Step, task: WorkflowTask, itemIndex: number, attempt: number, existingTaskRun?: number): Promise<void> {
    const taskRunId = existingTaskRun ?? (await step.store.insertTaskRun(step.run.execution, task.name, itemIndex, attempt, 'active', null));
    if (taskRunId === null) return;
    const workflowTask = {
      workflow_execution: step.run.execution,
      task_name: task.name,
      ...(itemIndex >= 0 ? { task_index: itemIndex } : {}),
      attempt,
    };
    const action = await this.action(step, task.action);
    let problem: string | undefined;
    let parameters: Record<string, unknown> = {};
    if (!action) problem = `action "${task.action}" does not exist`;
    else if (!action.enabled) problem = `action "${task.action}" is disabled`;
    else {
      const scope = { ...this.scope(step), ...(itemIndex >= 0 ? { item: step.tasks.get(task.name)?.items?.[itemIndex], index: itemIndex } : {}) };
      try {
        parameters = renderWorkflowValue(task.input, scope) as Record<string, unknown>;
        const checked = this.validator.check(action.paramSchema, parameters, {
          cacheKey: `action:${action.id}:${new Date(action.updated).getTime()}`,
          rejectUndeclared: true,
        });
        if (!checked.ok) problem = `input does not match the schema of ${action.ref}: ${checked.problems.map((p) => `${p.field} ${p.message}`).join('; ')}`;
        else parameters = checked.value;
      } catch (err) {
        problem = `input: ${(err as Error).message}`;
      }
    }
    const secrets = action && !problem ? secretParameters(action.paramSchema) : [];
    const sealed = secrets.length ? this.secrets().seal(parameters, secrets) : { config: problem ? {} : parameters, sealed: null };
    const failedResult: ExecutionResult | undefined = problem
      ? { exit_code: null, succeeded: false, duration_ms: 0, stdout: '', stdout_truncated: false, error: `task "${task.name}": ${problem}` }
      : undefined;
    const childId = await step.store.createChild({
      action: action?.id ?? 0,
      actionRef: task.action,
      config: sealed.config,
      secretParameters: sealed.sealed,
      parent: step.run.execution,
      executor: step.parent.executor,
      timeoutSeconds: task.timeout ?? action?.timeoutSeconds ?? this.config.defaultTimeoutSeconds,
      workflowTask,
      ...(failedResult ? { failedResult } : {}),
    });
    await step.store.attachExecution(taskRunId, childId);
    childrenCreated.inc();
    if (failedResult) {
      const ended = await step.store.endTaskRunOf(childId, 'failed');
      if (ended) await this.taskRunEnded(step, ended, 'failed', failedResult);
      return;
    }
    step.after.schedule.push(childId);
  }

  private async action(step: Step, ref: string): Promise<ActionEntity | null> {
    if (!step.actions.has(ref)) step.actions.set(ref, await this.actions.findByRef(ref));
    return step.actions.get(ref) ?? null;
  }

  /** Ends the run when nothing runs or waits any more. */
  private async finishIfDone(step: Step): Promise<void> {
    if (step.run.status !== 'running' && step.run.status !== 'canceling') return;
    if ((await step.store.openTaskRuns(step.run.execution)).length) return;
    if (step.run.status === 'canceling') return this.finish(step, 'cancelled', 'the workflow was cancelled');
    if (step.run.failed) return this.finish(step, 'failed', step.run.error ?? 'a task failed');
    return this.finish(step, 'completed');
  }

  private async finish(step: Step, status: 'completed' | 'failed' | 'cancelled' | 'timeout', error?: string): Promise<void> {
    let output: unknown;
    let outcome: typeof status = status;
    let why = error;
    if (status === 'completed') {
      try {
        output = renderWorkflowValue(step.run.definition.outputMap, this.scope(step));
      } catch (err) {
        outcome = 'failed';
        why = `output_map: ${(err as Error).message}`;
      }
    }
    // Tasks that never ran stay `pending`; the pending ones of a stopped run are recorded as not run.
    const tasks: Record<string, unknown> = {};
    const last = await step.store.lastExecutions(step.run.execution);
    for (const [name, row] of step.tasks) {
      const entry: Record<string, unknown> = { status: row.status, execution: last.get(name) ?? null };
      if (row.items !== null) {
        entry.items = (await step.store.itemResults(step.run.execution, name)).map((i) => ({ index: i.index, status: i.status, execution: i.execution }));
      }
      tasks[name] = entry;
    }
    const result = this.runResult(outcome === 'completed', why, outcome === 'completed' ? output : undefined, tasks, step.parent.startedAt);
    if (outcome === 'cancelled') result.cancelled = true;
    if (outcome === 'timeout') result.timed_out = true;
    const moved = await step.store.transitionParent(step.run.execution, outcome, ALLOWED_FROM[outcome], result);
    step.run.status = outcome;
    runsEnded.inc({ status: outcome });
    this.logger.info({ execution_id: step.run.execution, status: outcome, moved }, 'workflow finished');
    if (step.parent.workflowTask) step.after.ended.push(step.run.execution);
  }

  private runResult(succeeded: boolean, error: string | undefined, output: unknown, tasks: Record<string, unknown>, startedAt?: Date | null): ExecutionResult {
    return {
      exit_code: null,
      succeeded,
      duration_ms: startedAt ? Math.max(0, Date.now() - new Date(startedAt).getTime()) : 0,
      stdout: '',
      stdout_truncated: false,
      ...(output !== undefined ? { output } : {}),
      tasks,
      ...(error ? { error } : {}),
    };
  }

  private async failBeforeStart(executionId: number, error: string): Promise<void> {
    await this.ds.query(
      `UPDATE executions SET status = 'failed', result = $2, finished_at = now(), updated = now() WHERE id = $1 AND status = ANY($3::text[])`,
      [executionId, JSON.stringify(this.runResult(false, error, undefined, {})), ALLOWED_FROM.failed],
    );
    this.logger.warn({ execution_id: executionId }, error);
  }

  // ── scopes ───────────────────────────────────────────────────────────────────────────────

  private baseScope(parent: ExecutionEntity, ref: string, parameters: Record<string, unknown>, vars: Record<string, unknown>): Record<string, unknown> {
    return {
      parameters,
      vars,
      workflow: vars,
      task: {},
      system: { execution_id: parent.id, workflow_ref: ref, timestamp: new Date().toISOString(), identity: parent.executor },
    };
  }

  /** What expressions see: parameters, vars (also `workflow`), each task's status/result/items, system. */
  private scope(step: Step): Record<string, unknown> {
    const task: Record<string, unknown> = {};
    for (const [name, row] of step.tasks) {
      task[name] = { status: row.status, result: row.result, ...(row.items !== null ? { items: Array.isArray(row.result) ? row.result : [] } : {}) };
    }
    return { ...this.baseScope(step.parent, step.run.actionRef, step.parameters, step.run.vars), task };
  }

  private parametersOf(execution: ExecutionEntity): Record<string, unknown> {
    if (!execution.secretParameters) return execution.config;
    return this.secrets().open(execution.config, execution.secretParameters);
  }

  private secrets(): ParameterSecrets {
    this.cipher ??= new ParameterSecrets(this.config.secretsKey);
    return this.cipher;
  }
}
