import {
  DomainError,
  envVarProblems,
  type ExecutionCancelRequestedV1,
  isTerminal,
  MessageTypes,
  type ExecutionRequestedV1,
  secretParameters,
} from '@attune/contracts';
import { MessagePublisher } from '@attune/messaging';
import { ActionRepository, type ExecutionEntity, type ExecutionFilter, ExecutionRepository, ParameterSecrets } from '@attune/persistence';
import { Injectable, Logger } from '@nestjs/common';
import { Counter } from 'prom-client';
import type { Principal } from '../auth/auth.decorators';
import { ApiConfig } from '../config/api.config';
import type { ExecuteDto } from './execution.dto';
import { ParameterValidator } from './parameter-validator';

/** How long POST …/cancel waits for the executor to record the cancellation before answering. */
const CANCEL_WAIT_MS = 2000;

const requested = new Counter({ name: 'attune_executions_requested_total', help: 'Executions requested over HTTP' });

@Injectable()
export class ExecutionsService {
  private readonly logger = new Logger(ExecutionsService.name);
  private cipher?: ParameterSecrets;

  constructor(
    private readonly actions: ActionRepository,
    private readonly executions: ExecutionRepository,
    private readonly validator: ParameterValidator,
    private readonly publisher: MessagePublisher,
    private readonly config: ApiConfig,
  ) {}

  /**
   * Validates and records the request, then announces it. If the announcement cannot be
   * confirmed by the broker the execution is still recorded as `requested`, and the executor's
   * sweep picks it up: an accepted request is never lost.
   */
  async execute(principal: Principal, dto: ExecuteDto): Promise<ExecutionEntity> {
    if (principal.kind !== 'user') throw new DomainError('FORBIDDEN', 'an execution token cannot start executions');
    const action = await this.actions.findByRef(dto.action_ref);
    if (!action) throw new DomainError('NOT_FOUND', `action "${dto.action_ref}" not found`);
    if (!action.enabled) throw new DomainError('BAD_REQUEST', `action "${action.ref}" is disabled`);
    const parameters = this.validator.validate(action, dto.parameters ?? {});
    // Secret parameters are stored sealed and shown masked everywhere (ParameterSecrets).
    const secrets = secretParameters(action.paramSchema);
    const { config, sealed } = secrets.length ? this.secrets().seal(parameters, secrets) : { config: parameters, sealed: null };
    const envVars = this.checkEnvVars(dto.env_vars ?? {});
    const timeoutSeconds = dto.timeout_seconds ?? action.timeoutSeconds ?? this.config.defaultTimeoutSeconds;
    if (timeoutSeconds > this.config.maxTimeoutSeconds) {
      throw new DomainError('VALIDATION_ERROR', 'timeout_seconds is too large', [
        { field: 'timeout_seconds', message: `must be at most ${this.config.maxTimeoutSeconds}` },
      ]);
    }
    const execution = await this.executions.create({
      action: action.id,
      actionRef: action.ref,
      config,
      secretParameters: sealed,
      envVars,
      executor: principal.id,
      timeoutSeconds,
    });
    requested.inc();
    const payload: ExecutionRequestedV1 = { execution_id: execution.id };
    try {
      await this.publisher.publish(MessageTypes.ExecutionRequested, payload, { correlationId: `execution:${execution.id}` });
    } catch (err) {
      this.logger.warn({ execution_id: execution.id, err: (err as Error).message }, 'execution recorded but not announced; the executor sweep will schedule it');
    }
    return execution;
  }

  async get(principal: Principal, id: number): Promise<ExecutionEntity> {
    if (principal.kind === 'execution' && principal.executionId !== id) {
      throw new DomainError('FORBIDDEN', 'an execution token may only read its own execution');
    }
    const execution = await this.executions.findById(id);
    if (!execution) throw new DomainError('NOT_FOUND', `execution ${id} not found`);
    return execution;
  }

  /**
   * Asks the executor (which owns execution status) to cancel, then waits briefly for it to
   * record the change so the answer usually shows `canceling` or `cancelled`.
   */
  async cancel(principal: Principal, id: number): Promise<ExecutionEntity> {
    if (principal.kind !== 'user') throw new DomainError('FORBIDDEN', 'an execution token cannot cancel executions');
    const execution = await this.executions.findById(id);
    if (!execution) throw new DomainError('NOT_FOUND', `execution ${id} not found`);
    if (isTerminal(execution.status)) {
      throw new DomainError('CONFLICT', `execution ${id} is already ${execution.status}`, { status: execution.status });
    }
    const payload: ExecutionCancelRequestedV1 = { execution_id: id };
    try {
      await this.publisher.publish(MessageTypes.ExecutionCancelRequested, payload, { correlationId: `execution:${id}` });
    } catch {
      throw new DomainError('SERVICE_UNAVAILABLE', 'the message broker is unreachable; try again');
    }
    const deadline = Date.now() + CANCEL_WAIT_MS;
    let latest = execution;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
      latest = (await this.executions.findById(id)) ?? latest;
      if (latest.status === 'canceling' || isTerminal(latest.status)) break;
    }
    return latest;
  }

  list(filter: ExecutionFilter, page: number, perPage: number) {
    return this.executions.list(filter, page, perPage);
  }

  private secrets(): ParameterSecrets {
    this.cipher ??= new ParameterSecrets(this.config.secretsKey);
    return this.cipher;
  }

  /** The rules of api-contract.md (Executions): an allow-pattern for names plus a deny-list (environment-names.ts). */
  private checkEnvVars(env: Record<string, unknown>): Record<string, string> {
    const problems = envVarProblems(env);
    if (problems.length) throw new DomainError('VALIDATION_ERROR', 'env_vars are invalid', problems);
    return env as Record<string, string>;
  }
}
