import {
  EXECUTOR_HELD_PREFIX,
  type ExecutionFinishedV1,
  type ExecutionInquiryResponseV1,
  type ExecutionResult,
  type FinishedStatus,
  isPlainObject,
  type JsonSchemaObject,
  ParameterSchemaValidator,
} from '@attune/contracts';
import { PermanentMessageError } from '@attune/messaging';
import { type ActionEntity, type ExecutionEntity, ExecutionRepository, type InquiryRecord, InquiryRepository } from '@attune/persistence';
import { type Logger, ROOT_LOGGER } from '@attune/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { ExecutionRecorder } from '../recording/execution-recorder.service';

/** The actions the executor answers itself: they ask a person and hold no worker slot. */
export const INQUIRY_ACTIONS = ['core.inquiry', 'core.ask'];

/** Shown as the execution's `worker`: no worker runs an inquiry. */
export const INQUIRY_WORKER = `${EXECUTOR_HELD_PREFIX}inquiry`;

/** The answer's schema when the action gives none (StackStorm's default: a `continue` flag). */
export const DEFAULT_INQUIRY_SCHEMA = {
  type: 'object',
  properties: { continue: { type: 'boolean', description: 'Continue?' } },
  required: ['continue'],
};

const SETTLE_BATCH = 100;

/**
 * `core.inquiry` executions, handled inside the executor: scheduling records the inquiry and
 * moves the execution to `running` with no dispatch; an answer (from the api, on the bus), the
 * timeout or a cancel settles the inquiry and then finishes the execution through
 * ExecutionRecorder, the path worker results take, so anything waiting on the execution (a
 * workflow run) sees an ordinary completion with the answer in `result.data`.
 *
 * Each step is a guarded write and settle() repairs the crash window between the inquiry's write
 * and the execution's, so redeliveries and two executors are harmless.
 */
@Injectable()
export class InquiryService {
  private readonly validator = new ParameterSchemaValidator();

  constructor(
    private readonly inquiries: InquiryRepository,
    private readonly executions: ExecutionRepository,
    private readonly recorder: ExecutionRecorder,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  static handles(actionRef: string): boolean {
    return INQUIRY_ACTIONS.includes(actionRef);
  }

  /** Called by the scheduler for an execution it holds in `scheduling`. */
  async start(execution: ExecutionEntity, action: ActionEntity): Promise<void> {
    const log = this.logger.child({ execution_id: execution.id });
    const params = execution.config ?? {};
    const schema = isPlainObject(params.schema) ? (params.schema as Record<string, unknown>) : DEFAULT_INQUIRY_SCHEMA;
    const schemaCheck = this.validator.check(schema as JsonSchemaObject, {});
    if (!schemaCheck.ok && schemaCheck.problems.some((p) => p.keyword === 'schema')) {
      return this.finish(execution, 'failed', failure(`the inquiry's schema is not a valid JSON Schema: ${schemaCheck.problems[0].message}`));
    }
    const timeout = typeof params.timeout === 'number' && params.timeout > 0 ? params.timeout : execution.timeoutSeconds;
    const inquiry = await this.inquiries.createOnce({
      execution: execution.id,
      title: text(params.title),
      prompt: text(params.prompt) ?? text(params.title) ?? `Answer for ${action.ref} (execution ${execution.id})`,
      schema,
      assignedTo: logins(params.assigned_to ?? params.users),
      roles: list(params.roles),
      timeoutAt: new Date(Date.now() + timeout * 1000),
    });
    await this.recorder.started({ execution_id: execution.id, attempt: execution.attempt, worker: INQUIRY_WORKER, started_at: new Date().toISOString() });
    log.info({ inquiry_id: inquiry.id, timeout_at: inquiry.timeoutAt }, 'inquiry open; waiting for an answer');
  }

  /** An answer the api accepted. The api checked it; it is checked again here, where it is recorded. */
  async respond(msg: ExecutionInquiryResponseV1): Promise<void> {
    const inquiry = await this.inquiries.findById(msg.inquiry_id);
    if (!inquiry || inquiry.execution !== msg.execution_id) throw new PermanentMessageError(`inquiry ${msg.inquiry_id} of execution ${msg.execution_id} does not exist`);
    if (inquiry.status === 'pending') {
      const checked = this.validator.check(inquiry.schema as JsonSchemaObject, msg.response);
      if (!checked.ok) throw new PermanentMessageError(`the answer to inquiry ${inquiry.id} does not match its schema`);
      await this.inquiries.respond(inquiry.id, msg.response, msg.responded_by);
    }
    const current = await this.inquiries.findById(inquiry.id);
    if (current) await this.settleExecution(current);
  }

  /** Timeouts, cancels, and executions left unfinished after their inquiry was settled. */
  async settle(): Promise<number> {
    const due = await this.inquiries.findUnsettled(SETTLE_BATCH);
    for (const row of due) {
      let inquiry: InquiryRecord | null = row;
      if (row.status === 'pending') {
        const to = row.executionStatus === 'canceling' || row.executionStatus === 'cancelled' ? 'cancelled' : 'timeout';
        inquiry = (await this.inquiries.close(row.id, to)) ?? (await this.inquiries.findById(row.id));
        if (to === 'timeout') this.logger.info({ execution_id: row.execution, inquiry_id: row.id }, 'inquiry timed out');
      }
      if (inquiry) await this.settleExecution(inquiry);
    }
    return due.length;
  }

  private async settleExecution(inquiry: InquiryRecord): Promise<void> {
    if (inquiry.status === 'pending') return;
    const execution = await this.executions.findById(inquiry.execution);
    if (!execution) return;
    switch (inquiry.status) {
      case 'responded':
        return this.finish(execution, 'completed', {
          exit_code: 0, succeeded: true, duration_ms: 0, stdout: '', stdout_truncated: false, data: inquiry.response ?? {},
        });
      case 'timeout': {
        const seconds = inquiry.timeoutAt ? Math.round((inquiry.timeoutAt.getTime() - new Date(inquiry.created).getTime()) / 1000) : 0;
        return this.finish(execution, 'timeout', { ...failure(`nobody answered the inquiry within ${seconds} s`), timed_out: true });
      }
      case 'cancelled':
        return this.finish(execution, 'cancelled', { ...failure('Cancelled while waiting for an answer'), cancelled: true });
    }
  }

  /** Through the recorder: the same guarded write, metrics and hooks as a worker's result. */
  private async finish(execution: ExecutionEntity, status: FinishedStatus, result: ExecutionResult): Promise<void> {
    const finishedAt = new Date();
    const startedAt = execution.startedAt ? new Date(execution.startedAt) : new Date(execution.created);
    result.duration_ms = Math.max(0, finishedAt.getTime() - startedAt.getTime());
    const msg: ExecutionFinishedV1 = {
      execution_id: execution.id,
      attempt: execution.attempt,
      worker: INQUIRY_WORKER,
      status,
      result,
      started_at: startedAt.toISOString(),
      finished_at: finishedAt.toISOString(),
    };
    await this.recorder.finished(msg);
  }
}

function failure(error: string): ExecutionResult {
  return { exit_code: null, succeeded: false, duration_ms: 0, stdout: '', stdout_truncated: false, error };
}

function text(v: unknown): string | null {
  return typeof v === 'string' && v.trim() ? v : null;
}

function list(v: unknown): string[] {
  if (typeof v === 'string') return v.split(',').map((s) => s.trim()).filter(Boolean);
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string' && s.trim() !== '').map((s) => s.trim()) : [];
}

/** Logins compare case-insensitively. */
function logins(v: unknown): string[] {
  return list(v).map((s) => s.toLowerCase());
}
