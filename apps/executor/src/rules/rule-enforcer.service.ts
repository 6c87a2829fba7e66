import {
  commandTemplateProblems,
  evaluateConditions,
  ParameterSchemaValidator,
  renderTemplates,
  type RuleContext,
  secretParameters,
} from '@attune/contracts';
import { PermanentMessageError } from '@attune/messaging';
import {
  type ActionEntity,
  ActionRepository,
  type EnforcementEntity,
  EnforcementRepository,
  type EnforcementOutcome,
  type EventEntity,
  EventRepository,
  maskParameters,
  ParameterSecrets,
  type RuleEntity,
  RuleRepository,
} from '@attune/persistence';
import { type Logger, ROOT_LOGGER } from '@attune/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { ExecutorConfig } from '../config/executor.config';
import { ExecutionScheduler } from '../scheduling/execution-scheduler.service';

const eventsProcessed = new Counter({ name: 'attune_events_processed_total', help: 'Events matched against rules' });
const enforcementsResolved = new Counter({
  name: 'attune_enforcements_total',
  help: 'Enforcements resolved, by status and whether an execution was created',
  labelNames: ['status', 'execution'],
});

export interface EventProcessing {
  /** Rules whose conditions matched the event. */
  matched: number;
  /** Executions this call created (a redelivered event creates none). */
  executions: number[];
}

/**
 * The rules engine: event → matching rules → enforcement → execution.
 *
 * Every step is idempotent, so a redelivered `event.created`, the sweep, and two executors
 * handling the same event at once all end with one enforcement per (rule, event) and one
 * execution per enforcement: the enforcement is inserted with ON CONFLICT DO NOTHING on
 * (rule, event), and resolved under a row lock in the transaction that inserts its execution.
 * The event is marked processed last, so a crash anywhere leaves it to the sweep.
 */
@Injectable()
export class RuleEnforcer {
  private readonly validator = new ParameterSchemaValidator();
  private cipher?: ParameterSecrets;

  constructor(
    private readonly events: EventRepository,
    private readonly rules: RuleRepository,
    private readonly actions: ActionRepository,
    private readonly enforcements: EnforcementRepository,
    private readonly scheduler: ExecutionScheduler,
    private readonly config: ExecutorConfig,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  async processEvent(eventId: number): Promise<EventProcessing> {
    const log = this.logger.child({ event_id: eventId });
    const event = await this.events.findById(eventId);
    if (!event) throw new PermanentMessageError(`event ${eventId} does not exist`);
    const result: EventProcessing = { matched: 0, executions: [] };
    if (event.processedAt) {
      log.debug('event already processed; nothing to do');
      return result;
    }
    for (const rule of await this.candidateRules(event)) {
      const context = ruleContext(event, rule);
      let matched: boolean;
      try {
        matched = evaluateConditions(rule.conditions, rule.condition, context);
      } catch (err) {
        // Conditions are checked when a rule is saved; a stored one that no longer parses matches nothing.
        log.warn({ rule_ref: rule.ref, err: (err as Error).message }, 'rule conditions could not be evaluated; rule skipped');
        continue;
      }
      if (!matched) continue;
      result.matched++;
      const enforcement = await this.enforcements.createOnce({
        rule: rule.id,
        ruleRef: rule.ref,
        triggerRef: event.triggerRef,
        event: event.id,
        condition: rule.condition,
        conditions: rule.conditions,
      });
      if (enforcement.status !== 'created') continue;
      const executionId = await this.enforce(enforcement, rule, context);
      if (executionId !== null) result.executions.push(executionId);
    }
    await this.events.markProcessed(event.id);
    eventsProcessed.inc();
    log.debug({ trigger_ref: event.triggerRef, matched: result.matched, executions: result.executions }, 'event processed');
    return result;
  }

  /** Timer events belong to the rule whose schedule fired them; other events go to every enabled rule of their trigger. */
  private async candidateRules(event: EventEntity): Promise<RuleEntity[]> {
    if (event.rule !== null) {
      const rule = await this.rules.findById(event.rule);
      return rule && rule.enabled && rule.triggerRef === event.triggerRef ? [rule] : [];
    }
    if (event.source === 'timer') return [];
    return this.rules.findEnabledByTriggerRef(event.triggerRef);
  }

  /** Resolves the enforcement; answers the id of the execution it created, if any. */
  private async enforce(enforcement: EnforcementEntity, rule: RuleEntity, context: RuleContext): Promise<number | null> {
    // Read before the transaction: resolve() holds a connection and a row lock while deciding.
    const action = await this.actions.findByRef(rule.actionRef);
    const resolution = await this.enforcements.resolve(enforcement.id, () => this.decide(action, rule, context));
    const log = this.logger.child({ enforcement_id: enforcement.id, rule_ref: rule.ref, event_id: context.event.id });
    if (!resolution.resolvedNow) return null;
    const { status, error } = resolution.enforcement;
    enforcementsResolved.inc({ status, execution: resolution.executionId !== null ? 'yes' : 'no' });
    if (resolution.executionId === null) {
      log.warn({ status, error }, 'rule matched but no execution was created');
      return null;
    }
    log.info({ execution_id: resolution.executionId, action_ref: rule.actionRef }, 'rule matched; execution requested');
    try {
      await this.scheduler.schedule(resolution.executionId);
    } catch (err) {
      // The execution is recorded as `requested`: the execution sweep schedules it.
      log.warn({ execution_id: resolution.executionId, err: (err as Error).message }, 'execution created but not scheduled yet; the sweep will');
    }
    return resolution.executionId;
  }

  private decide(action: ActionEntity | null, rule: RuleEntity, context: RuleContext): EnforcementOutcome {
    if (!action) return { status: 'disabled', config: null, error: `action "${rule.actionRef}" does not exist` };
    if (!action.enabled) return { status: 'disabled', config: null, error: `action "${action.ref}" is disabled` };
    // A rule saved before command parameters refused templates must not put event text into a shell.
    const commandProblems = commandTemplateProblems(action.paramSchema, rule.actionParams ?? {});
    if (commandProblems.length) {
      return { status: 'processed', config: null, error: commandProblems.map((p) => `action_params.${p.field} ${p.message}`).join('; ') };
    }
    const rendered = renderTemplates(rule.actionParams ?? {}, context) ?? {};
    // The enforcement is a record anyone may read: it never holds a secret parameter's value.
    const secrets = secretParameters(action.paramSchema);
    const recorded = maskParameters(rendered, secrets);
    const checked = this.validator.check(action.paramSchema, rendered, {
      cacheKey: `action:${action.id}:${new Date(action.updated).getTime()}`,
      rejectUndeclared: true,
    });
    if (!checked.ok) {
      const why = checked.problems.map((p) => `${p.field} ${p.message}`).join('; ');
      return { status: 'processed', config: recorded, error: `parameters do not match the schema of ${action.ref}: ${why}` };
    }
    const sealed = secrets.length ? this.secrets().seal(checked.value, secrets) : { config: checked.value, sealed: null };
    return {
      status: 'processed',
      config: recorded,
      execution: {
        action: action.id,
        actionRef: action.ref,
        config: sealed.config,
        secretParameters: sealed.sealed,
        executor: null,
        timeoutSeconds: action.timeoutSeconds ?? this.config.defaultTimeoutSeconds,
      },
    };
  }

  private secrets(): ParameterSecrets {
    this.cipher ??= new ParameterSecrets(this.config.secretsKey);
    return this.cipher;
  }
}

export function ruleContext(event: EventEntity, rule: RuleEntity): RuleContext {
  return {
    event: {
      id: event.id,
      trigger_ref: event.triggerRef,
      payload: event.payload,
      source: event.source,
      created: new Date(event.created).toISOString(),
    },
    rule: { ref: rule.ref, pack_ref: rule.packRef },
  };
}
