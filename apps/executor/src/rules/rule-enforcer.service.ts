import {
  commandTemplateProblems,
  evaluateConditions,
  isTemplated,
  ParameterSchemaValidator,
  parsePath,
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
  KeystoreReader,
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

const SWEEP_BATCH = 100;

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
    private readonly keystore: KeystoreReader,
  ) {}

  /**
   * The sweep (every ATTUNE_EXECUTOR_SWEEP_INTERVAL_MS): matches events that no `event.created`
   * brought to an executor: the api (or a timer) recorded them but the announcement was lost
   * (broker down, crash between insert and publish), or an executor died mid-way. Answers how
   * many were picked up.
   */
  async processMissed(): Promise<number> {
    const ids = await this.events.findUnprocessed(this.config.staleAfterMs, SWEEP_BATCH);
    for (const id of ids) {
      this.logger.info({ event_id: id }, 'processing an event no message delivered');
      await this.processEvent(id);
    }
    return ids.length;
  }

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
      // Keys are read only for rules that use them: most rules never touch the datastore.
      let encryptedPaths = new Set<string>();
      if (mentionsKeystore(rule)) {
        const read = await this.keystore.read({ pack_ref: rule.packRef });
        context.keystore = read.scope;
        encryptedPaths = read.encryptedPaths;
      }
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
      const executionId = await this.enforce(enforcement, rule, context, encryptedPaths);
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
  private async enforce(enforcement: EnforcementEntity, rule: RuleEntity, context: RuleContext, encryptedPaths: Set<string>): Promise<number | null> {
    // Read before the transaction: resolve() holds a connection and a row lock while deciding.
    const action = await this.actions.findByRef(rule.actionRef);
    const resolution = await this.enforcements.resolve(enforcement.id, () => this.decide(action, rule, context, encryptedPaths));
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

  private decide(action: ActionEntity | null, rule: RuleEntity, context: RuleContext, encryptedPaths: Set<string>): EnforcementOutcome {
    if (!action) return { status: 'disabled', config: null, error: `action "${rule.actionRef}" does not exist` };
    if (!action.enabled) return { status: 'disabled', config: null, error: `action "${action.ref}" is disabled` };
    // A rule saved before command parameters refused templates must not put event text into a shell.
    const commandProblems = commandTemplateProblems(action.paramSchema, rule.actionParams ?? {});
    if (commandProblems.length) {
      return { status: 'processed', config: null, error: commandProblems.map((p) => `action_params.${p.field} ${p.message}`).join('; ') };
    }
    const rendered = renderTemplates(rule.actionParams ?? {}, context) ?? {};
    // The enforcement is a record anyone may read: it never holds a secret parameter's value.
    // A parameter rendered from an encrypted key is kept like a secret one: sealed, shown masked.
    const secrets = [...new Set([...secretParameters(action.paramSchema), ...paramsFromEncryptedKeys(rule.actionParams ?? {}, encryptedPaths)])];
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

function mentionsKeystore(rule: RuleEntity): boolean {
  return JSON.stringify(rule.actionParams ?? {}).includes('keystore') || JSON.stringify(rule.conditions ?? null).includes('keystore');
}

/** Top-level `action_params` whose templates read an encrypted key. */
export function paramsFromEncryptedKeys(params: Record<string, unknown>, encryptedPaths: Set<string>): string[] {
  if (!encryptedPaths.size) return [];
  const readsEncrypted = (value: unknown): boolean => {
    if (typeof value === 'string') {
      if (!isTemplated(value)) return false;
      for (const m of value.matchAll(/\{\{(.*?)\}\}/gs)) {
        let path: string;
        try {
          path = parsePath(m[1].trim()).join('.');
        } catch {
          continue;
        }
        for (const p of encryptedPaths) if (path === p || path.startsWith(`${p}.`)) return true;
      }
      return false;
    }
    if (Array.isArray(value)) return value.some(readsEncrypted);
    if (value && typeof value === 'object') return Object.values(value).some(readsEncrypted);
    return false;
  };
  return Object.keys(params).filter((name) => readsEncrypted(params[name]));
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
