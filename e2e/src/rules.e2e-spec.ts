import { isTerminal, type Trigger } from '@attune/api-client';
import { ApiClient, type ExtraInstance, waitFor } from '@attune/testing';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deleteRules, usePlatform, waitForTerminal } from './support';

// Triggers, rules, webhooks, timers, events and enforcements, driven over HTTP with two
// executor processes running (the second one started below), as a deployment with replicas.

const WEBHOOK_MAX_BYTES = 64 * 1024;
const suffix = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;
let secondExecutor: ExtraInstance;
let pack: string;
const rulesCreated: string[] = [];

// A database of its own: executors of other platforms sharing the common test database would
// run this suite's timer rules on their own bus (a deployment is one database and one bus).
const ctx = usePlatform(
  'rules',
  { ATTUNE_WEBHOOK_MAX_BYTES: String(WEBHOOK_MAX_BYTES), ATTUNE_EXECUTOR_SWEEP_INTERVAL_MS: '1000' },
  // The database outlives this run: leave no timer rule behind to fire in later runs.
  { database: 'rules', beforeStop: () => deleteRules(ctx, rulesCreated) },
);

beforeAll(async () => {
  secondExecutor = await ctx.platform.startExtra('executor');
  pack = await packForTest();
});

/** A pack of our own when packs can be created over the API; the built-in `core` pack otherwise. */
async function packForTest(): Promise<string> {
  const ref = `rules${suffix}`;
  const res = await ctx.api.post('/api/v1/packs', { ref, label: 'Rules e2e', version: '1.0.0' });
  return res.status === 201 ? ref : 'core';
}

const anonymous = () => new ApiClient(ctx.platform.apiUrl);

async function createTrigger(name: string, extra: Record<string, unknown> = {}) {
  const res = await ctx.api.post('/api/v1/triggers', { ref: `${pack}.${name}_${suffix}`, label: name, ...extra });
  expect(res.status).toBe(201);
  return res.body.data;
}

async function createRule(name: string, body: Record<string, unknown>) {
  const ref = `${pack}.${name}_${suffix}`;
  const res = await ctx.api.post('/api/v1/rules', { ref, label: name, ...body });
  if (res.status !== 201) throw new Error(`rule ${ref}: ${res.status} ${JSON.stringify(res.body)}`);
  rulesCreated.push(ref);
  return res.body.data;
}

async function webhookTrigger(name: string) {
  const trigger = await createTrigger(name);
  const enabled = await ctx.api.post(`/api/v1/triggers/${trigger.ref}/webhooks/enable`);
  expect(enabled.status).toBe(200);
  return enabled.body.data as Trigger & { webhook_key: string }; // enabled: the key is set
}

/** A webhook trigger and one rule on it. */
async function webhookWithRule(triggerName: string, ruleName: string, rule: Record<string, unknown>) {
  const trigger = await webhookTrigger(triggerName);
  return { trigger, rule: await createRule(ruleName, { trigger_ref: trigger.ref, ...rule }) };
}

function fireWebhook(key: string, body: unknown, headers: Record<string, string> = {}) {
  return anonymous().request('POST', `/api/v1/webhooks/${key}`, body, headers);
}

/** Waits until the executor has matched the event against rules, then answers its enforcements. */
async function enforcementsOf(eventId: number): Promise<any[]> {
  await waitFor(
    async () => (await ctx.api.get(`/api/v1/events/${eventId}`)).body.data?.processed_at ?? undefined,
    { timeoutMs: 20_000, what: `event ${eventId} to be processed` },
  );
  const res = await ctx.api.get(`/api/v1/enforcements?event=${eventId}`);
  expect(res.status).toBe(200);
  return res.body.data;
}

async function onlyExecutionOf(enforcement: { id: number }) {
  const res = await ctx.api.get(`/api/v1/executions?enforcement=${enforcement.id}`);
  expect(res.status).toBe(200);
  expect(res.body.data).toHaveLength(1);
  return waitForTerminal(ctx.api, res.body.data[0].id, 30_000);
}

async function allPages(path: string): Promise<any[]> {
  const items: any[] = [];
  for (let page = 1; ; page++) {
    const res = await ctx.api.get(`${path}${path.includes('?') ? '&' : '?'}per_page=100&page=${page}`);
    expect(res.status).toBe(200);
    items.push(...res.body.data);
    if (page >= res.body.pagination.total_pages) return items;
  }
}

describe('acceptance 1: a webhook rule runs core.echo with a templated message', () => {
  let trigger: { ref: string; webhook_key: string };
  let rule: any;

  beforeAll(async () => {
    ({ trigger, rule } = await webhookWithRule('alert', 'page_on_critical', {
      action_ref: 'core.echo',
      conditions: [{ field: 'event.payload.severity', operator: 'equals', value: 'critical' }],
      action_params: { message: '{{ event.payload.host }} is down' },
    }));
  });

  it('gives one event, one enforcement and one completed execution printing "web-1 is down"', async () => {
    expect(trigger.webhook_key).toMatch(/^wh_[A-Za-z0-9_-]{32}$/);
    expect(rule).toMatchObject({ enabled: true, condition: 'all', trigger_ref: trigger.ref, action_ref: 'core.echo' });
    const res = await fireWebhook(trigger.webhook_key, { payload: { severity: 'critical', host: 'web-1' } });
    expect(res.status).toBe(200);
    const eventId = res.body.data.event_id;
    expect(eventId).toEqual(expect.any(Number));

    const event = (await ctx.api.get(`/api/v1/events/${eventId}`)).body.data;
    expect(event).toMatchObject({ id: eventId, trigger_ref: trigger.ref, source: 'webhook', payload: { severity: 'critical', host: 'web-1' }, rule: null });

    const enforcements = await enforcementsOf(eventId);
    expect(enforcements).toHaveLength(1);
    const [enforcement] = enforcements;
    expect(enforcement).toMatchObject({ rule: rule.id, rule_ref: rule.ref, trigger_ref: trigger.ref, event: eventId, status: 'processed', error: null });
    expect(enforcement.config).toEqual({ message: 'web-1 is down' });
    expect(enforcement.executions).toHaveLength(1);

    const execution = await onlyExecutionOf(enforcement);
    expect(execution).toMatchObject({ id: enforcement.executions[0], status: 'completed', action_ref: 'core.echo', enforcement: enforcement.id, executor: null });
    expect(execution.result.stdout).toBe('web-1 is down\n');
    expect((await ctx.api.get(`/api/v1/enforcements/${enforcement.id}`)).body.data).toMatchObject({ id: enforcement.id, status: 'processed' });
  });

  it('records the event of a non-critical payload and no enforcement', async () => {
    const res = await fireWebhook(trigger.webhook_key, { payload: { severity: 'warning', host: 'web-2' } });
    expect(res.status).toBe(200);
    expect(await enforcementsOf(res.body.data.event_id)).toEqual([]);
    const events = await ctx.api.get(`/api/v1/events?trigger_ref=${trigger.ref}`);
    expect(events.body.data.map((e: any) => e.id)).toContain(res.body.data.event_id);
  });

  it('records an event injected with POST /api/v1/events the same way', async () => {
    const res = await ctx.api.post('/api/v1/events', { trigger_ref: trigger.ref, payload: { severity: 'critical', host: 'db-3' } });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({ trigger_ref: trigger.ref, source: 'api' });
    const [enforcement] = await enforcementsOf(res.body.data.id);
    expect((await onlyExecutionOf(enforcement)).result.stdout).toBe('db-3 is down\n');
    expect((await ctx.api.post('/api/v1/events', { trigger_ref: `${pack}.nope`, payload: {} })).status).toBe(404);
  });

  it('does nothing for a disabled rule, and matches again once it is enabled', async () => {
    expect((await ctx.api.post(`/api/v1/rules/${rule.ref}/disable`)).body.data.enabled).toBe(false);
    const off = await fireWebhook(trigger.webhook_key, { payload: { severity: 'critical', host: 'web-9' } });
    expect(await enforcementsOf(off.body.data.event_id)).toEqual([]);
    expect((await ctx.api.post(`/api/v1/rules/${rule.ref}/enable`)).body.data.enabled).toBe(true);
    const on = await fireWebhook(trigger.webhook_key, { payload: { severity: 'critical', host: 'web-9' } });
    expect(await enforcementsOf(on.body.data.event_id)).toHaveLength(1);
  });

  it('lists enforcements by rule and status', async () => {
    const res = await ctx.api.get(`/api/v1/enforcements?rule_ref=${rule.ref}&status=processed`);
    expect(res.status).toBe(200);
    expect(res.body.data.length).toBeGreaterThanOrEqual(3);
    expect(res.body.data.every((e: any) => e.rule_ref === rule.ref && e.status === 'processed')).toBe(true);
    expect((await ctx.api.get('/api/v1/enforcements?status=bogus')).status).toBe(422);
    expect((await ctx.api.get('/api/v1/enforcements/999999999')).status).toBe(404);
  });
});

describe('webhook ingress', () => {
  let trigger: { ref: string; webhook_key: string };

  beforeAll(async () => {
    trigger = await webhookTrigger('ingress');
  });

  it('answers 404 for an unknown key, with no token needed for a known one', async () => {
    expect((await fireWebhook('wh_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', { payload: {} })).status).toBe(404);
    const junk = await fireWebhook('not-a-key', { payload: {} });
    expect(junk.status).toBe(404);
    expect(junk.body).toEqual({ error: 'no webhook with this key', code: 'NOT_FOUND' });
    expect((await fireWebhook(trigger.webhook_key, { payload: { a: 1 } })).status).toBe(200);
  });

  it('answers 413 for a payload over the configured size, and records nothing', async () => {
    const before = (await ctx.api.get(`/api/v1/events?trigger_ref=${trigger.ref}`)).body.pagination.total;
    const big = await fireWebhook(trigger.webhook_key, { payload: { blob: 'x'.repeat(WEBHOOK_MAX_BYTES) } });
    expect(big.status).toBe(413);
    expect(big.body.code).toBe('PAYLOAD_TOO_LARGE');
    const huge = await fireWebhook(trigger.webhook_key, { payload: { blob: 'x'.repeat(3 * 1024 * 1024) } });
    expect(huge.status).toBe(413);
    expect((await ctx.api.get(`/api/v1/events?trigger_ref=${trigger.ref}`)).body.pagination.total).toBe(before);
  });

  it('records a body without the payload wrapper whole, and refuses bodies that are not JSON', async () => {
    const raw = await fireWebhook(trigger.webhook_key, { action: 'opened', number: 7 });
    expect(raw.status).toBe(200);
    expect((await ctx.api.get(`/api/v1/events/${raw.body.data.event_id}`)).body.data.payload).toEqual({ action: 'opened', number: 7 });
    const text = await fireWebhook(trigger.webhook_key, 'severity=critical', { 'content-type': 'text/plain' });
    expect(text.status).toBe(400);
    const malformed = await fireWebhook(trigger.webhook_key, '{"payload": ');
    expect(malformed.status).toBe(400);
  });

  it('stops accepting calls once the webhook is disabled, and issues a new key when enabled again', async () => {
    const other = await webhookTrigger('rotating');
    const disabled = await ctx.api.post(`/api/v1/triggers/${other.ref}/webhooks/disable`);
    expect(disabled.body.data).toMatchObject({ webhook_enabled: false, webhook_key: null });
    expect((await fireWebhook(other.webhook_key, { payload: {} })).status).toBe(404);
    const again = await ctx.api.post(`/api/v1/triggers/${other.ref}/webhooks/enable`);
    expect(again.body.data.webhook_key).not.toBe(other.webhook_key);
    expect((await fireWebhook(again.body.data.webhook_key, { payload: {} })).status).toBe(200);
  });
});

describe('acceptance 3: templates, injection attempts and malformed rules', () => {
  let trigger: { ref: string; webhook_key: string };

  beforeAll(async () => {
    trigger = await webhookTrigger('templates');
  });

  /** A rule on this trigger that fires only for the events whose payload.kind is `kind`. */
  const ruleForKind = (name: string, kind: string, action_ref: string, action_params: Record<string, unknown>) =>
    createRule(name, { trigger_ref: trigger.ref, action_ref, conditions: [{ field: 'event.payload.kind', operator: 'equals', value: kind }], action_params });

  it('refuses templates that are not plain paths, naming the field', async () => {
    for (const message of [
      "{{constructor.constructor('return process')()}}",
      '{{ process.env.HOME }}',
      '{{ __proto__ }}',
      '{{ event.payload.host + 1 }}',
      '{{ event.payload.host | upper }}',
      'unclosed {{ event.payload.host',
    ]) {
      const res = await ctx.api.post('/api/v1/rules', {
        ref: `${pack}.evil_${suffix}`,
        label: 'evil',
        trigger_ref: trigger.ref,
        action_ref: 'core.echo',
        action_params: { message },
      });
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ code: 'VALIDATION_ERROR', details: [{ field: 'action_params.message', message: expect.any(String) }] });
    }
    expect((await ctx.api.get(`/api/v1/rules/${pack}.evil_${suffix}`)).status).toBe(404);
  });

  it('refuses malformed rules with clear errors', async () => {
    const base = { ref: `${pack}.bad_${suffix}`, label: 'bad', trigger_ref: trigger.ref, action_ref: 'core.echo' };
    const cases: [Record<string, unknown>, number, string?][] = [
      [{ conditions: [{ field: 'event.payload.x', operator: 'like', value: 1 }] }, 422, 'conditions[0].operator'],
      [{ conditions: [{ field: 'payload.x', operator: 'equals', value: 1 }] }, 422, 'conditions[0].field'],
      // RE2 runs (a+)+$ in linear time; a backreference it cannot run at all.
      [{ conditions: [{ field: 'event.payload.x', operator: 'matches', value: '(a)\\1' }] }, 422, 'conditions[0].value'],
      [{ conditions: [{ field: 'event.payload.x', operator: 'in', value: 'a' }] }, 422, 'conditions[0].value'],
      [{ conditions: 'severity == critical' }, 422, 'conditions'],
      [{ condition: 'most' }, 422, 'condition'],
      [{ action_ref: 'core.sleep', action_params: { seconds: 'soon' } }, 422, 'action_params.seconds'],
      [{ trigger_ref: 'core.intervaltimer', trigger_params: { interval: 0 } }, 422, 'trigger_params.interval'],
      [{ trigger_ref: 'core.intervaltimer', trigger_params: { interval: 2, every: 1 } }, 422, 'trigger_params.every'],
      [{ trigger_ref: 'core.crontimer', trigger_params: { expression: 'every day' } }, 422, 'trigger_params.expression'],
      [{ trigger_ref: 'core.crontimer', trigger_params: { expression: '* * * * *', timezone: 'Mars/Olympus' } }, 422, 'trigger_params.timezone'],
      [{ trigger_ref: 'core.datetimetimer', trigger_params: { fire_at: '2001-01-01T00:00:00Z' } }, 422, 'trigger_params.fire_at'],
      [{ ref: 'no-dot' }, 422, 'ref'],
      [{ pack_ref: 'elsewhere' }, 422, 'pack_ref'],
      [{ trigger_ref: `${pack}.nope` }, 404],
      [{ action_ref: 'core.nope' }, 404],
      [{ extra: true }, 422, 'extra'],
    ];
    for (const [over, status, field] of cases) {
      const res = await ctx.api.post('/api/v1/rules', { ...base, ...over });
      expect({ over, status: res.status }).toEqual({ over, status });
      if (field) expect(res.body.details.map((d: { field: string }) => d.field)).toContain(field);
    }
    const malformed = await ctx.api.request('POST', '/api/v1/rules', '{"ref": ');
    expect(malformed.status).toBe(400);
  });

  it('renders a missing path as empty text, and leaves out a parameter that is only a missing path', async () => {
    const rule = await ruleForKind('missing', 'missing-text', 'core.echo', { message: '[{{ event.payload.nope }}|{{ event.payload.deep.nope }}|{{ event.payload.host }}]' });
    const whole = await ruleForKind('missing_whole', 'missing-whole', 'core.echo', { message: '{{ event.payload.nope }}' });
    const text = await fireWebhook(trigger.webhook_key, { payload: { kind: 'missing-text', host: 'h' } });
    const [e1] = await enforcementsOf(text.body.data.event_id);
    expect(e1.rule_ref).toBe(rule.ref);
    expect((await onlyExecutionOf(e1)).result.stdout).toBe('[||h]\n');
    const omitted = await fireWebhook(trigger.webhook_key, { payload: { kind: 'missing-whole' } });
    const [e2] = await enforcementsOf(omitted.body.data.event_id);
    expect(e2.rule_ref).toBe(whole.ref);
    expect(e2.config).toEqual({});
    // core.echo's default message applies.
    expect((await onlyExecutionOf(e2)).result.stdout).toBe('Hello World\n');
  });

  it('treats injection attempts in payloads as plain text, never code', async () => {
    await ruleForKind('inject', 'inject', 'core.echo', { message: '{{ event.payload.host }} is down' });
    const marker = join(tmpdir(), `attune-rules-pwned-${suffix}`);
    const attempts = [
      "{{constructor.constructor('return process')()}}",
      '{{ event.payload.secret }}',
      `$(touch ${marker}); \`touch ${marker}\``,
      '${process.exit(1)}',
    ];
    for (const host of attempts) {
      const res = await fireWebhook(trigger.webhook_key, { payload: { kind: 'inject', host, secret: 'leaked' } });
      expect(res.status).toBe(200);
      const [enforcement] = await enforcementsOf(res.body.data.event_id);
      expect((await onlyExecutionOf(enforcement)).result.stdout).toBe(`${host} is down\n`);
    }
    expect(existsSync(marker)).toBe(false);
    // A payload with a "__proto__" key is stored and matched as plain data.
    const proto = await fireWebhook(trigger.webhook_key, '{"payload": {"__proto__": {"polluted": true}, "kind": "inject", "host": "p"}}');
    expect(proto.status).toBe(200);
    const [enforcement] = await enforcementsOf(proto.body.data.event_id);
    expect((await onlyExecutionOf(enforcement)).result.stdout).toBe('p is down\n');
    expect((await fetch(`${ctx.platform.apiUrl}/health`)).status).toBe(200);
    expect((await fetch(`${secondExecutor.healthUrl}`)).status).toBe(200);
  });

  it('validates the rendered parameters when the rule fires, and says why no execution was created', async () => {
    const rule = await ruleForKind('typed', 'typed', 'core.sleep', { seconds: '{{ event.payload.seconds }}' });
    const res = await fireWebhook(trigger.webhook_key, { payload: { kind: 'typed', seconds: 'soon' } });
    const [enforcement] = await enforcementsOf(res.body.data.event_id);
    expect(enforcement).toMatchObject({ rule_ref: rule.ref, status: 'processed', executions: [], config: { seconds: 'soon' } });
    expect(enforcement.error).toBe('parameters do not match the schema of core.sleep: seconds must be number');
  });
});

describe('rules and triggers CRUD', () => {
  it('creates, reads, updates, lists and deletes', async () => {
    const trigger = await createTrigger('crud', { description: 'd', out_schema: { severity: { type: 'string', required: true } } });
    expect(trigger).toMatchObject({ webhook_enabled: false, webhook_key: null, is_builtin: false, out_schema: { type: 'object', required: ['severity'] } });
    expect((await ctx.api.post('/api/v1/triggers', { ref: trigger.ref, label: 'again' })).status).toBe(409);
    const bad = await ctx.api.post('/api/v1/events', { trigger_ref: trigger.ref, payload: { severity: 3 } });
    expect(bad.status).toBe(422);
    expect(bad.body.details).toEqual([{ field: 'payload.severity', message: 'must be string' }]);

    const rule = await createRule('crud', { trigger_ref: trigger.ref, action_ref: 'core.noop' });
    expect((await ctx.api.post('/api/v1/rules', { ref: rule.ref, label: 'x', trigger_ref: trigger.ref, action_ref: 'core.noop' })).status).toBe(409);
    const put = await ctx.api.request('PUT', `/api/v1/rules/${rule.ref}`, { label: 'renamed', condition: 'any', conditions: [{ field: 'event.payload.severity', operator: 'exists' }] });
    expect(put.status).toBe(200);
    expect(put.body.data).toMatchObject({ label: 'renamed', condition: 'any', conditions: [{ field: 'event.payload.severity', operator: 'exists' }] });
    expect((await ctx.api.request('PUT', `/api/v1/rules/${rule.ref}`, { ref: 'core.other' })).status).toBe(400);
    const listed = await ctx.api.get(`/api/v1/rules?trigger_ref=${trigger.ref}`);
    expect(listed.body.data.map((r: any) => r.ref)).toEqual([rule.ref]);
    expect((await ctx.api.get(`/api/v1/triggers/${trigger.ref}`)).body.data.ref).toBe(trigger.ref);
    expect((await ctx.api.get(`/api/v1/triggers?pack_ref=${pack}`)).body.data.map((t: any) => t.ref)).toContain(trigger.ref);

    expect((await ctx.api.request('DELETE', `/api/v1/triggers/${trigger.ref}`)).status).toBe(409);
    expect((await ctx.api.request('DELETE', `/api/v1/rules/${rule.ref}`)).status).toBe(204);
    expect((await ctx.api.get(`/api/v1/rules/${rule.ref}`)).status).toBe(404);
    expect((await ctx.api.request('DELETE', `/api/v1/triggers/${trigger.ref}`)).status).toBe(204);
    expect((await ctx.api.get(`/api/v1/triggers/${trigger.ref}`)).status).toBe(404);
  });

  it('lists the built-in timers, which cannot be changed or take webhooks', async () => {
    const res = await ctx.api.get('/api/v1/triggers?pack_ref=core');
    const refs = res.body.data.map((t: any) => t.ref);
    expect(refs).toEqual(expect.arrayContaining(['core.intervaltimer', 'core.crontimer', 'core.datetimetimer']));
    expect((await ctx.api.request('PUT', '/api/v1/triggers/core.intervaltimer', { label: 'x' })).status).toBe(400);
    expect((await ctx.api.request('DELETE', '/api/v1/triggers/core.crontimer')).status).toBe(400);
    expect((await ctx.api.post('/api/v1/triggers/core.intervaltimer/webhooks/enable')).status).toBe(400);
    expect((await ctx.api.post('/api/v1/events', { trigger_ref: 'core.intervaltimer', payload: {} })).status).toBe(400);
  });

  it('lets viewers read, operators post events, and only admins manage triggers and rules', async () => {
    const viewer = anonymous();
    const login = `viewer-${suffix}@example.com`;
    const registered = await viewer.post('/auth/register', { login, password: 'Viewer-Pass-123' });
    expect(registered.status).toBe(200);
    viewer.token = registered.body.data.access_token;
    const trigger = await webhookTrigger('roles');
    for (const path of ['/api/v1/rules', '/api/v1/triggers', '/api/v1/events', '/api/v1/enforcements', `/api/v1/triggers/${trigger.ref}`]) {
      expect({ path, status: (await viewer.get(path)).status }).toEqual({ path, status: 200 });
    }
    // The webhook key is a credential: not shown to a viewer.
    expect((await viewer.get(`/api/v1/triggers/${trigger.ref}`)).body.data).toMatchObject({ webhook_enabled: true, webhook_key: null });
    expect((await viewer.post('/api/v1/events', { trigger_ref: trigger.ref, payload: {} })).status).toBe(403);
    expect((await viewer.post('/api/v1/triggers', { ref: `${pack}.v_${suffix}`, label: 'v' })).status).toBe(403);
    expect((await viewer.post('/api/v1/rules', { ref: `${pack}.v_${suffix}`, label: 'v', trigger_ref: trigger.ref, action_ref: 'core.noop' })).status).toBe(403);
    expect((await viewer.post(`/api/v1/triggers/${trigger.ref}/webhooks/disable`)).status).toBe(403);
  });

  it('needs a token, except for webhooks', async () => {
    expect((await anonymous().get('/api/v1/rules')).status).toBe(401);
    expect((await anonymous().post('/api/v1/events', { trigger_ref: 'x.y' })).status).toBe(401);
    expect((await anonymous().get('/api/v1/enforcements')).status).toBe(401);
  });
});

describe('acceptance 2: timers fire once per tick with two executors', () => {
  async function timerEvents(ruleRef: string): Promise<any[]> {
    return allPages(`/api/v1/events?rule_ref=${ruleRef}`);
  }

  it('an interval timer every 2 s fires 4 to 6 times in 10 s, never twice for one tick, and stops when disabled', async () => {
    expect(secondExecutor.process.exitCode).toBeNull();
    const rule = await createRule('every2s', {
      trigger_ref: 'core.intervaltimer',
      trigger_params: { unit: 'seconds', interval: 2 },
      action_ref: 'core.echo',
      action_params: { message: 'tick at {{ event.payload.executed_at }}' },
    });
    expect(rule.trigger_params).toEqual({ unit: 'seconds', interval: 2 });
    const start = Date.parse(rule.updated);
    // Measuring a rate needs the 10 s to pass; then allow a poll interval for the last tick.
    await waitFor(() => Date.now() >= start + 10_500, { timeoutMs: 15_000, intervalMs: 100, what: '10 s to pass' });
    const events = await timerEvents(rule.ref);
    const inWindow = events.filter((e) => Date.parse(e.payload.executed_at) <= start + 10_000);
    expect(inWindow.length).toBeGreaterThanOrEqual(4);
    expect(inWindow.length).toBeLessThanOrEqual(6);
    const ticks = events.map((e) => e.payload.executed_at);
    expect(new Set(ticks).size).toBe(ticks.length);
    for (const e of events) expect(e).toMatchObject({ source: 'timer', trigger_ref: 'core.intervaltimer', rule: rule.id, rule_ref: rule.ref });

    expect((await ctx.api.post(`/api/v1/rules/${rule.ref}/disable`)).status).toBe(200);
    const atDisable = (await timerEvents(rule.ref)).length;
    // Nothing may fire after the disable: watch for more than two intervals.
    const watchUntil = Date.now() + 5_000;
    await waitFor(() => Date.now() >= watchUntil, { timeoutMs: 10_000, intervalMs: 100, what: '5 s to pass' });
    const after = await timerEvents(rule.ref);
    expect(after.length).toBe(atDisable);

    // Every tick became exactly one enforcement and one completed execution.
    for (const e of after) {
      const enforcements = await enforcementsOf(e.id);
      expect(enforcements).toHaveLength(1);
      const execution = await onlyExecutionOf(enforcements[0]);
      expect(execution.result.stdout).toBe(`tick at ${e.payload.executed_at}\n`);
    }
  }, 90_000);

  it('cron and date-time timers fire on schedule', async () => {
    const fireAt = new Date(Date.now() + 3000).toISOString();
    const once = await createRule('once', {
      trigger_ref: 'core.datetimetimer',
      trigger_params: { fire_at: fireAt },
      action_ref: 'core.echo',
      action_params: { message: 'once {{ event.payload.fire_at }}' },
    });
    const cron = await createRule('cron', {
      trigger_ref: 'core.crontimer',
      trigger_params: { expression: '*/2 * * * * *' },
      action_ref: 'core.noop',
    });
    expect(cron.trigger_params).toEqual({ expression: '*/2 * * * * *', timezone: 'UTC' });
    const fired = await waitFor(async () => {
      const events = await timerEvents(once.ref);
      return events.length ? events : undefined;
    }, { timeoutMs: 15_000, intervalMs: 200, what: 'the date-time timer to fire' });
    expect(fired).toHaveLength(1);
    expect(fired[0].payload).toEqual({ type: 'datetime', fire_at: fireAt, timezone: 'UTC', executed_at: new Date(fireAt).toISOString() });
    const [enforcement] = await enforcementsOf(fired[0].id);
    expect((await onlyExecutionOf(enforcement)).result.stdout).toBe(`once ${fireAt}\n`);

    const cronEvents = await waitFor(async () => {
      const events = await timerEvents(cron.ref);
      return events.length >= 2 ? events : undefined;
    }, { timeoutMs: 15_000, intervalMs: 200, what: 'the cron timer to fire twice' });
    for (const e of cronEvents) expect(new Date(e.payload.executed_at).getUTCSeconds() % 2).toBe(0);
    await ctx.api.post(`/api/v1/rules/${cron.ref}/disable`);
    // The date-time timer fired once and only once.
    expect(await timerEvents(once.ref)).toHaveLength(1);
  }, 60_000);
});

describe('acceptance 4: a burst of 500 webhook calls', () => {
  it('gives exactly one event and one execution per call: none lost, none duplicated', async () => {
    const { trigger, rule } = await webhookWithRule('burst', 'burst', { action_ref: 'core.echo', action_params: { message: 'burst {{ event.payload.n }}' } });
    const N = 500;
    const responses = await Promise.all(Array.from({ length: N }, (_, n) => fireWebhook(trigger.webhook_key, { payload: { n } })));
    expect(responses.map((r) => r.status)).toEqual(Array(N).fill(200));
    const eventIds = responses.map((r) => r.body.data.event_id as number);
    expect(new Set(eventIds).size).toBe(N);

    const events = await allPages(`/api/v1/events?trigger_ref=${trigger.ref}`);
    expect(events.map((e) => e.id).sort((a, b) => a - b)).toEqual([...eventIds].sort((a, b) => a - b));

    const enforcements = await waitFor(async () => {
      const all = await allPages(`/api/v1/enforcements?rule_ref=${rule.ref}`);
      return all.length >= N && all.every((e) => e.status !== 'created') ? all : undefined;
    }, { timeoutMs: 120_000, intervalMs: 1000, what: `${N} enforcements` });
    expect(enforcements).toHaveLength(N);
    expect(new Set(enforcements.map((e) => e.event))).toEqual(new Set(eventIds));
    expect(enforcements.every((e) => e.status === 'processed' && e.executions.length === 1)).toBe(true);
    const executionIds: number[] = enforcements.map((e) => e.executions[0]);
    expect(new Set(executionIds).size).toBe(N);

    const stdout = new Map<number, string>();
    await waitFor(async () => {
      const pending = executionIds.filter((id) => !stdout.has(id));
      for (let i = 0; i < pending.length; i += 25) {
        await Promise.all(
          pending.slice(i, i + 25).map(async (id) => {
            const e = (await ctx.api.get(`/api/v1/executions/${id}`)).body.data;
            if (isTerminal(e.status)) stdout.set(id, `${e.status}:${e.result?.stdout}`);
          }),
        );
      }
      return stdout.size === N;
    }, { timeoutMs: 180_000, intervalMs: 1000, what: `${N} executions to finish` });
    const expected = new Set(Array.from({ length: N }, (_, n) => `completed:burst ${n}\n`));
    expect(new Set(stdout.values())).toEqual(expected);
  }, 360_000);
});
