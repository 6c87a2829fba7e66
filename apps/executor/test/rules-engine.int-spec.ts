import { jest } from '@jest/globals';
import { TIMER_TRIGGER_DEFINITIONS, TimerTriggers } from '@attune/contracts';
import { MessagePublisher } from '@attune/messaging';
import {
  ActionRepository,
  EnforcementRepository,
  EventRepository,
  KeyRepository,
  KeystoreReader,
  KeyValues,
  PackRepository,
  ParameterSecrets,
  PersistenceModule,
  type RuleEntity,
  RuleRepository,
  TimerTickRepository,
  TriggerRepository,
} from '@attune/persistence';
import { ROOT_LOGGER } from '@attune/service-kit';
import { prepareTestDatabase } from '@attune/testing';
import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { ExecutorConfig } from '../src/config/executor.config';
import { EXECUTOR_REPOSITORIES } from '../src/repositories';
import { RuleEnforcer } from '../src/rules/rule-enforcer.service';
import { TimerScheduler } from '../src/rules/timer-scheduler.service';
import { ExecutionScheduler } from '../src/scheduling/execution-scheduler.service';

// The test database is shared with other runs (and their executors): everything here lives in
// a pack of its own, timer rules tick hourly and are simulated hours ahead, and every rule is
// deleted afterwards.
const suffix = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
const pack = `ri${suffix}`;

let app: INestApplicationContext;
let ds: DataSource;
let triggers: TriggerRepository;
let rules: RuleRepository;
let events: EventRepository;
let enforcements: EnforcementRepository;
let ticks: TimerTickRepository;
const schedule = jest.fn(async (_id: number) => undefined);
const publish = jest.fn(async (..._args: unknown[]) => undefined);
const created: RuleEntity[] = [];
let triggerId: number;
let actionId: number;

/** A timer scheduler as one executor runs it, seeing only this test's rules. */
function newTimerScheduler(name: string, ruleIds: () => Set<number>): TimerScheduler {
  const real = app.get(RuleRepository);
  const onlyMine = Object.assign(Object.create(real) as RuleRepository, {
    findEnabledByTriggerRefs: async (refs: readonly string[]) => (await real.findEnabledByTriggerRefs(refs)).filter((r) => ruleIds().has(r.id)),
  });
  const config = Object.assign(new ExecutorConfig(), { timerPollMs: 60_000 });
  const scheduler = new TimerScheduler(onlyMine, ticks, { publish } as unknown as MessagePublisher, config, pino({ level: 'silent' }));
  Object.defineProperty(scheduler, 'instance', { value: name });
  return scheduler;
}

beforeAll(async () => {
  const url = await prepareTestDatabase();
  const moduleRef = await Test.createTestingModule({
    // Triggers are the api's to write: listed here only to seed them.
    imports: [PersistenceModule.forRoot({ url, poolSize: 8 }), PersistenceModule.forFeature([...EXECUTOR_REPOSITORIES, TriggerRepository])],
    providers: [
      RuleEnforcer,
      { provide: ExecutionScheduler, useValue: { schedule } },
      { provide: ExecutorConfig, useValue: Object.assign(new ExecutorConfig(), { defaultTimeoutSeconds: 77 }) },
      { provide: ROOT_LOGGER, useValue: pino({ level: 'silent' }) },
      { provide: KeystoreReader, useFactory: (keys: KeyRepository) => new KeystoreReader(keys, new ExecutorConfig().secretsKey), inject: [KeyRepository] },
    ],
  }).compile();
  app = await moduleRef.init();
  ds = app.get(DataSource);
  triggers = app.get(TriggerRepository);
  rules = app.get(RuleRepository);
  events = app.get(EventRepository);
  enforcements = app.get(EnforcementRepository);
  ticks = app.get(TimerTickRepository);
  const saved = await app.get(PackRepository).upsertWithActions(
    { ref: pack, label: 'P', version: '1.0.0', description: null, isStandard: false },
    [
      {
        ref: `${pack}.say`, label: 'Say', description: null, runtime: 'shell', entrypoint: 'true', entrypointInline: true,
        paramSchema: { type: 'object', properties: { message: { type: 'string' }, level: { type: 'string', default: 'info' } }, required: ['message'] },
        outSchema: null, outputFormat: 'text', timeoutSeconds: null, enabled: true,
      },
    ],
  );
  actionId = (await app.get(ActionRepository).findByRef(`${pack}.say`))!.id;
  // What the api registers at startup: the built-in timer triggers in the core pack.
  await triggers.upsertBuiltins(
    { ref: 'core', label: 'Core', version: '1.0.0', description: 'Built-in actions that ship with Attune', isStandard: true },
    TIMER_TRIGGER_DEFINITIONS.map((d) => ({ ...d })),
  );
  triggerId = (
    await triggers.create({
      ref: `${pack}.alert`, packId: saved.id, packRef: pack, label: 'Alert', description: null, paramSchema: null, outSchema: null, enabled: true,
    })
  ).id;
});

afterAll(async () => {
  for (const r of created) await rules.delete(r.id);
  await app?.close();
});

async function newRule(name: string, over: Partial<Parameters<RuleRepository['create']>[0]> = {}): Promise<RuleEntity> {
  const rule = await rules.create({
    ref: `${pack}.${name}`, packId: (await app.get(PackRepository).findByRef(pack))!.id, packRef: pack, label: name, description: null,
    trigger: triggerId, triggerRef: `${pack}.alert`, action: actionId, actionRef: `${pack}.say`,
    triggerParams: {}, actionParams: { message: '{{ event.payload.host }} is down' },
    conditions: [{ field: 'event.payload.severity', operator: 'equals', value: 'critical' }], condition: 'all', enabled: true,
    ...over,
  });
  created.push(rule);
  return rule;
}

async function executionsOf(enforcementId: number) {
  return (await ds.query(`SELECT * FROM executions WHERE enforcement = $1`, [enforcementId])) as Record<string, any>[];
}

describe('RuleEnforcer (real Postgres)', () => {
  it('records one enforcement and one execution per rule and event, however often the event is processed', async () => {
    const rule = await newRule('page');
    const event = await events.create({ trigger: triggerId, triggerRef: `${pack}.alert`, payload: { severity: 'critical', host: 'web-1' }, source: 'webhook' });
    schedule.mockClear();
    // Redeliveries and two executors at once: all race on the same event.
    const enforcer = app.get(RuleEnforcer);
    const results = await Promise.all(Array.from({ length: 6 }, () => enforcer.processEvent(event.id)));
    expect(results.flatMap((r) => r.executions)).toHaveLength(1);
    const { items } = await enforcements.list({ event: event.id }, 1, 100);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ rule: rule.id, ruleRef: rule.ref, status: 'processed', config: { message: 'web-1 is down' }, error: null });
    const execs = await executionsOf(items[0].id);
    expect(execs).toHaveLength(1);
    expect(execs[0]).toMatchObject({ status: 'requested', action_ref: `${pack}.say`, executor: null, timeout_seconds: 77 });
    expect(execs[0].config).toEqual({ message: 'web-1 is down', level: 'info' });
    expect(schedule).toHaveBeenCalledTimes(1);
    expect(schedule).toHaveBeenCalledWith(Number(execs[0].id));
    expect((await events.findById(event.id))!.processedAt).not.toBeNull();
    // A later redelivery finds the event processed and does nothing.
    expect(await enforcer.processEvent(event.id)).toEqual({ matched: 0, executions: [] });
    expect((await enforcements.list({ event: event.id }, 1, 100)).total).toBe(1);
  });

  it('renders {{ keystore.<name> }} from the rule\'s pack and keeps a parameter from an encrypted key sealed', async () => {
    const secretsKey = new ExecutorConfig().secretsKey;
    const keys = app.get(KeyRepository);
    const base = { ownerIdentity: null, expiresAt: null, createdBy: 'test', encryptedValue: null, value: null, encrypted: false };
    await keys.create({ ...base, scope: 'pack', owner: pack, name: 'greeting', value: 'hello' });
    const sealedToken = new KeyValues(secretsKey).seal({ scope: 'pack', owner: pack, name: 'token' }, `tok-${suffix}`);
    await keys.create({ ...base, scope: 'pack', owner: pack, name: 'token', encrypted: true, encryptedValue: sealedToken });
    await keys.create({ ...base, scope: 'pack', owner: `${pack}x`, name: 'greeting', value: 'another pack' });
    await newRule('keys', {
      conditions: [{ field: 'event.payload.kind', operator: 'equals', value: 'keys' }],
      actionParams: { message: '{{ keystore.greeting }} {{ event.payload.host }}', level: 'Bearer {{ keystore.pack.token }}' },
    });
    const event = await events.create({ trigger: triggerId, triggerRef: `${pack}.alert`, payload: { kind: 'keys', host: 'web-9' }, source: 'webhook' });
    const result = await app.get(RuleEnforcer).processEvent(event.id);
    expect(result.executions).toHaveLength(1);
    const [execution] = (await ds.query(`SELECT * FROM executions WHERE id = $1`, [result.executions[0]])) as Record<string, any>[];
    expect(execution.config).toEqual({ message: 'hello web-9', level: '********' });
    expect(JSON.stringify(execution)).not.toContain(`tok-${suffix}`);
    expect(new ParameterSecrets(secretsKey).open(execution.config, execution.secret_parameters)).toEqual({ message: 'hello web-9', level: `Bearer tok-${suffix}` });
    const { items } = await enforcements.list({ event: event.id }, 1, 10);
    expect(items[0].config).toEqual({ message: 'hello web-9', level: '********' });
    await ds.query(`DELETE FROM keys WHERE owner IN ($1, $2)`, [pack, `${pack}x`]);
  });

  it('leaves an event no one announced to the sweep, which finds it until it is processed', async () => {
    await newRule('swept', { conditions: [{ field: 'event.payload.kind', operator: 'equals', value: 'swept' }] });
    const event = await events.create({ trigger: triggerId, triggerRef: `${pack}.alert`, payload: { kind: 'swept', host: 'lost' }, source: 'webhook' });
    expect(await events.findUnprocessed(0, 100_000)).toContain(event.id);
    expect(await events.findUnprocessed(60_000, 100_000)).not.toContain(event.id);
    const result = await app.get(RuleEnforcer).processEvent(event.id);
    expect(result.executions).toHaveLength(1);
    expect(await events.findUnprocessed(0, 100_000)).not.toContain(event.id);
  });

  it('records nothing when the conditions do not match, and nothing for a disabled rule', async () => {
    const off = await newRule('off', { enabled: false, conditions: [] });
    const event = await events.create({ trigger: triggerId, triggerRef: `${pack}.alert`, payload: { severity: 'warning', host: 'web-2' }, source: 'api' });
    const result = await app.get(RuleEnforcer).processEvent(event.id);
    expect(result.executions).toEqual([]);
    expect((await enforcements.list({ event: event.id }, 1, 100)).total).toBe(0);
    expect((await enforcements.list({ ruleRef: off.ref }, 1, 100)).total).toBe(0);
    expect((await events.findById(event.id))!.processedAt).not.toBeNull();
  });

  it('resolves without an execution, saying why, when the rendered parameters fail the schema', async () => {
    const rule = await newRule('bad', { conditions: [{ field: 'event.payload.kind', operator: 'equals', value: 'bad' }], actionParams: { message: '{{ event.payload.count }}' } });
    const event = await events.create({ trigger: triggerId, triggerRef: `${pack}.alert`, payload: { kind: 'bad', count: 3 }, source: 'api' });
    await app.get(RuleEnforcer).processEvent(event.id);
    const { items } = await enforcements.list({ ruleRef: rule.ref }, 1, 100);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ status: 'processed', config: { message: 3 } });
    expect(items[0].error).toBe(`parameters do not match the schema of ${pack}.say: message must be string`);
    expect(await executionsOf(items[0].id)).toEqual([]);
  });

  it('marks the enforcement disabled when the action does not exist', async () => {
    const rule = await newRule('noaction', { conditions: [{ field: 'event.payload.kind', operator: 'equals', value: 'noaction' }], actionRef: `${pack}.missing` });
    const event = await events.create({ trigger: triggerId, triggerRef: `${pack}.alert`, payload: { kind: 'noaction' }, source: 'api' });
    await app.get(RuleEnforcer).processEvent(event.id);
    const { items } = await enforcements.list({ ruleRef: rule.ref }, 1, 100);
    expect(items[0]).toMatchObject({ status: 'disabled', error: `action "${pack}.missing" does not exist` });
  });
});

describe('TimerScheduler lease (real Postgres)', () => {
  it('fires each tick exactly once with two executors polling at once', async () => {
    const mine = new Set<number>();
    const [a, b] = [newTimerScheduler('executor-a', () => mine), newTimerScheduler('executor-b', () => mine)];
    const timer = await app.get(TriggerRepository).findByRef(TimerTriggers.interval);
    expect(timer).not.toBeNull();
    const rule = await newRule('hourly', {
      trigger: timer!.id, triggerRef: TimerTriggers.interval, triggerParams: { unit: 'hours', interval: 1 }, conditions: [], actionParams: { message: 'tick' },
    });
    mine.add(rule.id);
    const anchor = new Date(rule.updated).getTime();
    const hour = 3_600_000;
    const firedBy = { a: [] as number[], b: [] as number[] };
    // Ten simulated hours, polled every 20 minutes by both executors concurrently.
    for (let step = 1; step <= 30; step++) {
      const now = new Date(anchor + step * 20 * 60_000 + 5);
      const [fa, fb] = await Promise.all([a.poll(now), b.poll(new Date(now.getTime() + 1))]);
      firedBy.a.push(...fa);
      firedBy.b.push(...fb);
    }
    const all = [...firedBy.a, ...firedBy.b];
    expect(new Set(all).size).toBe(all.length);
    const tickRows = await ticks.listForRule(rule.id);
    expect(tickRows.map((t) => new Date(t.tickAt).getTime()).sort()).toEqual(Array.from({ length: 10 }, (_, i) => anchor + (i + 1) * hour));
    const { items, total } = await events.list({ ruleRef: rule.ref }, 1, 100);
    expect(total).toBe(10);
    expect(new Set(items.map((e) => (e.payload as { executed_at: string }).executed_at)).size).toBe(10);
    expect(items.every((e) => e.source === 'timer' && e.rule === rule.id)).toBe(true);
    expect(tickRows.every((t) => t.event !== null && ['executor-a', 'executor-b'].includes(t.firedBy))).toBe(true);
    // Processed here so no sweep elsewhere picks these simulated events up.
    for (const e of items) await events.markProcessed(e.id);
    expect(publish).toHaveBeenCalledTimes(all.length);
  });

  it('stops firing once the rule is disabled, and restarts its schedule when enabled again', async () => {
    const mine = new Set<number>();
    const a = newTimerScheduler('executor-c', () => mine);
    const timer = await app.get(TriggerRepository).findByRef(TimerTriggers.interval);
    const rule = await newRule('toggled', {
      trigger: timer!.id, triggerRef: TimerTriggers.interval, triggerParams: { unit: 'hours', interval: 1 }, conditions: [], actionParams: { message: 'tick' },
    });
    mine.add(rule.id);
    const anchor = new Date(rule.updated).getTime();
    expect(await a.poll(new Date(anchor + 3_600_000))).toHaveLength(1);
    await rules.setEnabled(rule.id, false);
    expect(await a.poll(new Date(anchor + 2 * 3_600_000))).toEqual([]);
    const enabled = await rules.setEnabled(rule.id, true);
    const restarted = new Date(enabled!.updated).getTime();
    expect(await a.poll(new Date(restarted + 3_600_000 - 1))).toEqual([]);
    const fired = await a.poll(new Date(restarted + 3_600_000));
    expect(fired).toHaveLength(1);
    // An edited schedule applies from the edit on, read by the next poll.
    const edited = await rules.update(rule.id, { triggerParams: { unit: 'hours', interval: 2 } });
    const since = new Date(edited!.updated).getTime();
    expect(await a.poll(new Date(since + 3_600_000))).toEqual([]);
    expect(await a.poll(new Date(since + 2 * 3_600_000))).toHaveLength(1);
    expect((await ticks.listForRule(rule.id)).map((t) => new Date(t.tickAt).getTime())).toContain(since + 2 * 3_600_000);
    for (const e of (await events.list({ ruleRef: rule.ref }, 1, 100)).items) await events.markProcessed(e.id);
  });
});
