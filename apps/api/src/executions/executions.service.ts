import {
  DomainError,
  envVarProblems,
  type ExecutionCancelReplyV1,
  type ExecutionCancelRequestedV1,
  isTerminal,
  MessageTypes,
  type ExecutionRequestedV1,
  secretParameters,
} from '@attune/contracts';
import { MessagePublisher } from '@attune/messaging';
import { ActionRepository, type ExecutionEntity, type ExecutionFilter, ExecutionRepository, IdentityRepository, type ListPage, type ListRequest, ParameterSecrets } from '@attune/persistence';
import { Injectable, Logger } from '@nestjs/common';
import { Counter } from 'prom-client';
import type { Principal } from '../auth/auth.decorators';
import { requestService } from '../common/service-request';
import { ApiConfig } from '../config/api.config';
import type { ExecuteDto, ExecutionView } from './execution.dto';
import { ParameterValidator } from './parameter-validator';
import { found } from '../common/found';

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
    private readonly identities: IdentityRepository,
  ) {}

  /**
   * Validates and records the request, then announces it. If the announcement cannot be
   * confirmed by the broker the execution is still recorded as `requested`, and the executor's
   * sweep picks it up: an accepted request is never lost.
   */
  async execute(principal: Principal, dto: ExecuteDto): Promise<ExecutionView> {
    if (principal.kind !== 'user') throw new DomainError('FORBIDDEN', 'an execution token cannot start executions');
    const action = found(await this.actions.findByRef(dto.action_ref), `action "${dto.action_ref}"`);
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
    return Object.assign(execution, { executorLogin: principal.login });
  }

  /** One execution; the route lets an execution token name only its own (OwnExecutionOnly). */
  async get(id: number): Promise<ExecutionView> {
    const execution = found(await this.executions.findById(id), `execution ${id}`);
    return (await this.withLogins([execution]))[0];
  }

  /**
   * Asks the executor (which owns execution status) to cancel, by request/reply: it applies the
   * guarded transition and answers once it is committed, so the answer shows `cancelled` or
   * `canceling`. No answer within ATTUNE_CANCEL_TIMEOUT_MS (the executor down) is a 503, and
   * the request, still queued, expires with it: a cancel the caller was told failed is not
   * applied when the executor comes back.
   */
  async cancel(principal: Principal, id: number): Promise<ExecutionView> {
    if (principal.kind !== 'user') throw new DomainError('FORBIDDEN', 'an execution token cannot cancel executions');
    const execution = found(await this.executions.findById(id), `execution ${id}`);
    if (isTerminal(execution.status)) {
      throw new DomainError('CONFLICT', `execution ${id} is already ${execution.status}`, { status: execution.status });
    }
    const payload: ExecutionCancelRequestedV1 = { execution_id: id };
    try {
      await requestService<ExecutionCancelReplyV1>(this.publisher, 'the executor', MessageTypes.ExecutionCancelRequested, payload, {
        timeoutMs: this.config.cancelTimeoutMs,
        correlationId: `execution:${id}`,
        logger: this.logger,
      });
    } catch (err) {
      if (err instanceof DomainError) throw err;
      throw new DomainError('SERVICE_UNAVAILABLE', 'the message broker is unreachable; try again');
    }
    // The executor's transition is committed before it replies: one read shows it (or later).
    return (await this.withLogins([(await this.executions.findById(id)) ?? execution]))[0];
  }

  async list(filter: ExecutionFilter, req: ListRequest): Promise<ListPage<ExecutionView>> {
    const page = await this.executions.list(filter, req);
    return { ...page, items: await this.withLogins(page.items) };
  }

  /** Adds who started each execution (one lookup for the whole page). */
  private async withLogins(executions: ExecutionEntity[]): Promise<ExecutionView[]> {
    const ids = [...new Set(executions.map((e) => e.executor).filter((id): id is number => id !== null))];
    const logins = await this.identities.loginsOf(ids);
    return executions.map((e) => Object.assign(e, { executorLogin: e.executor === null ? null : (logins.get(e.executor) ?? null) }));
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
