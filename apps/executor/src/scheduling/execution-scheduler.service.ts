import {
  type ExecutionDispatchV1,
  MessageTypes,
  secretParameters,
  WORKFLOW_RUNTIME,
} from '@attune/contracts';
import { MessagePublisher, MessageUnroutableError, PermanentMessageError } from '@attune/messaging';
import { type ActionEntity, ActionRepository, type ExecutionEntity, ExecutionRepository, ParameterSecrets, WorkflowRunReader } from '@attune/persistence';
import type { WorkflowDefinition } from '@attune/workflows';
import { type Logger, ROOT_LOGGER } from '@attune/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { ExecutorConfig } from '../config/executor.config';
import { DispatchPlanner } from '../routing/dispatch-planner.service';
import { InquiryService } from '../inquiries/inquiry.service';
import { ExecutionTokenService } from './execution-token.service';
import { artifactDispatchFields, type ArtifactDispatchFields } from './task-artifact-fields';
import { ExecutionEndings } from '../workflows/execution-endings';
import { WorkflowHooks } from '../workflows/workflow-hooks';

const dispatched = new Counter({ name: 'attune_executions_dispatched_total', help: 'Executions dispatched to workers' });
const SWEEP_BATCH = 100;
const refused = new Counter({ name: 'attune_executions_refused_total', help: 'Executions failed by scheduling policy', labelNames: ['reason'] });

/**
 * Turns a `requested` execution into a dispatch on its worker pool's queue.
 *
 * The order makes a crash at any point safe: `scheduling` is recorded first, then the dispatch
 * is published (and confirmed), then `scheduled`. A retry or a sweep finds the execution still
 * `requested` or `scheduling` and publishes again; anything further along is left alone.
 */
@Injectable()
export class ExecutionScheduler {
  private cipher?: ParameterSecrets;

  constructor(
    private readonly executions: ExecutionRepository,
    private readonly actions: ActionRepository,
    private readonly publisher: MessagePublisher,
    private readonly tokens: ExecutionTokenService,
    private readonly config: ExecutorConfig,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
    private readonly planner: DispatchPlanner,
    private readonly endings: ExecutionEndings,
    private readonly workflows: WorkflowHooks,
    private readonly runs: WorkflowRunReader,
    private readonly inquiries: InquiryService,
  ) {}

  /**
   * The sweep (every ATTUNE_EXECUTOR_SWEEP_INTERVAL_MS): schedules executions that no message
   * brought here, left `requested` or `scheduling` for ATTUNE_EXECUTOR_STALE_AFTER_MS: the api
   * recorded them while the broker was unreachable, or an executor died between `scheduling`
   * and the dispatch. Every step is a guarded transition, so sweeping one that is being handled
   * elsewhere at the same moment does no harm. Answers how many were picked up.
   */
  async scheduleStale(): Promise<number> {
    const stale = await this.executions.findStale(['requested', 'scheduling'], this.config.staleAfterMs, SWEEP_BATCH);
    for (const execution of stale) {
      this.logger.info({ execution_id: execution.id, status: execution.status }, 'scheduling a stale execution');
      await this.schedule(execution.id);
    }
    return stale.length;
  }

  async schedule(executionId: number): Promise<void> {
    const log = this.logger.child({ execution_id: executionId });
    const execution = await this.executions.transition(executionId, 'scheduling');
    if (!execution) {
      const current = await this.executions.findById(executionId);
      if (!current) throw new PermanentMessageError(`execution ${executionId} does not exist`);
      log.debug({ status: current.status }, 'already past scheduling; nothing to do');
      return;
    }
    const action = execution.action !== null ? await this.actions.findById(execution.action) : null;
    if (!action) return this.refuse(execution, 'action_deleted', `action "${execution.actionRef}" no longer exists`);
    if (!action.enabled) return this.refuse(execution, 'action_disabled', `action "${action.ref}" is disabled`);
    // A workflow is run by the executor itself: its tasks are the child executions it creates.
    if (action.runtime === WORKFLOW_RUNTIME) return this.workflows.startRun(execution, action);
    // An inquiry waits for a person, not a worker: the executor holds it (no slot, no dispatch).
    if (InquiryService.handles(action.ref)) return this.inquiries.start(execution, action);
    // Only to workers that have the action's runtime; with none online it waits in `scheduled`.
    const plan = await this.planner.plan(execution, action);
    if (plan.kind !== 'dispatch') return;
    // The only place secret parameters are put back: the dispatch, which the worker needs whole.
    let parameters: Record<string, unknown>;
    try {
      parameters = this.parameters(execution);
    } catch (err) {
      return this.refuse(execution, 'secrets_unreadable', (err as Error).message);
    }

    const dispatch: ExecutionDispatchV1 = {
      execution_id: execution.id,
      action: {
        ref: action.ref,
        pack_ref: action.packRef,
        runtime: action.runtime,
        entrypoint: action.entrypoint,
        inline: action.entrypointInline,
        output_format: action.outputFormat,
        secret_parameters: secretParameters(action.paramSchema),
        on_worker_lost: action.onWorkerLost,
        ...(action.maxLogBytes ? { max_log_bytes: action.maxLogBytes } : {}),
        ...(plan.packDigest ? { pack_digest: plan.packDigest } : {}),
      },
      parameters,
      env_vars: execution.envVars,
      timeout_seconds: execution.timeoutSeconds,
      token: await this.tokens.mint(execution.id, execution.timeoutSeconds, execution.workflowTask),
      attempt: execution.attempt,
      log_token: await this.tokens.mintLogToken(execution.id, execution.attempt, execution.timeoutSeconds),
      workflow_task: execution.workflowTask ?? undefined,
      ...(await this.artifactFields(execution, action)),
    };
    try {
      await this.publisher.publish(MessageTypes.ExecutionDispatch, dispatch, {
        routingKey: plan.routingKey,
        correlationId: `execution:${execution.id}`,
        requireRoute: true,
      });
    } catch (err) {
      // The workers announced a queue that is not there (deleted by hand?): wait for the next
      // heartbeat rather than count a dropped message as dispatched.
      if (!(err instanceof MessageUnroutableError)) throw err;
      await this.planner.park(execution, action, `waiting for a worker queue for runtimes "${plan.runtimeSet}": the broker has none bound`);
      return;
    }
    dispatched.inc();
    await this.executions.transition(execution.id, 'scheduled', { attempt: execution.attempt });
    log.info({ action_ref: action.ref, pool: this.config.workerPool, runtimes: plan.runtimeSet, attempt: execution.attempt }, 'execution dispatched');
  }

  private parameters(execution: ExecutionEntity): Record<string, unknown> {
    if (!execution.secretParameters) return execution.config;
    this.cipher ??= new ParameterSecrets(this.config.secretsKey);
    return this.cipher.open(execution.config, execution.secretParameters);
  }

  private async refuse(execution: ExecutionEntity, reason: string, error: string): Promise<void> {
    refused.inc({ reason });
    const now = new Date();
    const failed = await this.executions.transition(execution.id, 'failed', {
      finishedAt: now,
      result: { exit_code: null, succeeded: false, duration_ms: 0, stdout: '', stdout_truncated: false, error },
    });
    await this.endings.ended(failed);
    this.logger.warn({ execution_id: execution.id, reason }, error);
  }
  /** A workflow task's files come from the definition its run started with (the action's own always apply). */
  private async artifactFields(execution: ExecutionEntity, action: ActionEntity): Promise<ArtifactDispatchFields> {
    const task = execution.workflowTask;
    const run = task ? await this.runs.findRun(task.workflow_execution) : null;
    return artifactDispatchFields(action.artifacts, (run?.definition as WorkflowDefinition | undefined) ?? null, task?.task_name);
  }

}
