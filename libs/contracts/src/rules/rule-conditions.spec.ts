import { checkConditions, evaluateConditions, type RuleCondition } from './rule-conditions';
import type { RuleContext } from './rule-context';

const context = (payload: unknown): RuleContext => ({
  event: { id: 1, trigger_ref: 'mon.alert', payload, source: 'api', created: '2026-01-01T00:00:00.000Z' },
  rule: { ref: 'mon.page', pack_ref: 'mon' },
});

const payload = {
  severity: 'critical',
  host: 'web-1.example.com',
  cpu: 93.5,
  count: 5,
  tags: ['prod', 'eu'],
  meta: { region: 'eu-west', zero: 0, nothing: null },
  at: '2026-03-01T10:00:00Z',
};

const one = (c: RuleCondition, p: unknown = payload) => evaluateConditions([c], 'all', context(p));

describe('evaluateConditions', () => {
  it('equals and not_equals compare JSON values strictly', () => {
    expect(one({ field: 'event.payload.severity', operator: 'equals', value: 'critical' })).toBe(true);
    expect(one({ field: 'event.payload.severity', operator: 'equals', value: 'warning' })).toBe(false);
    expect(one({ field: 'event.payload.count', operator: 'equals', value: '5' })).toBe(false);
    expect(one({ field: 'event.payload.tags', operator: 'equals', value: ['prod', 'eu'] })).toBe(true);
    expect(one({ field: 'event.payload.meta', operator: 'equals', value: { nothing: null, zero: 0, region: 'eu-west' } })).toBe(true);
    expect(one({ field: 'event.payload.meta.nothing', operator: 'equals', value: null })).toBe(true);
    expect(one({ field: 'event.payload.severity', operator: 'not_equals', value: 'warning' })).toBe(true);
    expect(one({ field: 'event.payload.severity', operator: 'not_equals', value: 'critical' })).toBe(false);
  });

  it('treats a missing field as matching only not_equals and exists:false', () => {
    const missing = 'event.payload.nope.deeper';
    expect(one({ field: missing, operator: 'equals', value: null })).toBe(false);
    expect(one({ field: missing, operator: 'not_equals', value: 'x' })).toBe(true);
    expect(one({ field: missing, operator: 'exists' })).toBe(false);
    expect(one({ field: missing, operator: 'exists', value: false })).toBe(true);
    expect(one({ field: 'event.payload.meta.nothing', operator: 'exists' })).toBe(true);
    expect(one({ field: 'event.payload.meta.zero', operator: 'exists', value: true })).toBe(true);
    for (const operator of ['contains', 'matches', 'gt', 'gte', 'lt', 'lte'] as const) {
      expect(one({ field: missing, operator, value: operator === 'matches' ? '.*' : 1 })).toBe(false);
    }
    expect(one({ field: missing, operator: 'in', value: [null] })).toBe(false);
  });

  it('contains looks for a substring or a list element', () => {
    expect(one({ field: 'event.payload.host', operator: 'contains', value: 'example' })).toBe(true);
    expect(one({ field: 'event.payload.host', operator: 'contains', value: 'nope' })).toBe(false);
    expect(one({ field: 'event.payload.tags', operator: 'contains', value: 'eu' })).toBe(true);
    expect(one({ field: 'event.payload.tags', operator: 'contains', value: 'us' })).toBe(false);
    expect(one({ field: 'event.payload.count', operator: 'contains', value: 5 })).toBe(false);
  });

  it('matches applies an unanchored regular expression to strings only', () => {
    expect(one({ field: 'event.payload.host', operator: 'matches', value: '^web-\\d+\\.' })).toBe(true);
    expect(one({ field: 'event.payload.host', operator: 'matches', value: '^db-' })).toBe(false);
    expect(one({ field: 'event.payload.count', operator: 'matches', value: '5' })).toBe(false);
  });

  it('orders numbers with numbers and strings with strings only', () => {
    expect(one({ field: 'event.payload.cpu', operator: 'gt', value: 90 })).toBe(true);
    expect(one({ field: 'event.payload.cpu', operator: 'gte', value: 93.5 })).toBe(true);
    expect(one({ field: 'event.payload.cpu', operator: 'lt', value: 93.5 })).toBe(false);
    expect(one({ field: 'event.payload.count', operator: 'lte', value: 5 })).toBe(true);
    expect(one({ field: 'event.payload.at', operator: 'gt', value: '2026-01-01T00:00:00Z' })).toBe(true);
    expect(one({ field: 'event.payload.count', operator: 'gt', value: '1' })).toBe(false);
    expect(one({ field: 'event.payload.tags', operator: 'gt', value: 1 })).toBe(false);
  });

  it('in looks the value up in a list', () => {
    expect(one({ field: 'event.payload.severity', operator: 'in', value: ['warning', 'critical'] })).toBe(true);
    expect(one({ field: 'event.payload.severity', operator: 'in', value: ['info'] })).toBe(false);
    expect(one({ field: 'event.payload.count', operator: 'in', value: ['5'] })).toBe(false);
  });

  it('reads the event itself and the rule', () => {
    expect(one({ field: 'event.trigger_ref', operator: 'equals', value: 'mon.alert' })).toBe(true);
    expect(one({ field: 'rule.ref', operator: 'equals', value: 'mon.page' })).toBe(true);
  });

  it('combines with all (default) or any; no conditions always match', () => {
    const conditions: RuleCondition[] = [
      { field: 'event.payload.severity', operator: 'equals', value: 'critical' },
      { field: 'event.payload.cpu', operator: 'lt', value: 50 },
    ];
    expect(evaluateConditions(conditions, 'all', context(payload))).toBe(false);
    expect(evaluateConditions(conditions, 'any', context(payload))).toBe(true);
    expect(evaluateConditions([], 'any', context(payload))).toBe(true);
    expect(evaluateConditions(null, 'all', context(payload))).toBe(true);
  });

  it('handles payloads that are not objects', () => {
    expect(one({ field: 'event.payload.x', operator: 'exists' }, 'a string')).toBe(false);
    expect(one({ field: 'event.payload[1]', operator: 'equals', value: 'b' }, ['a', 'b'])).toBe(true);
    expect(one({ field: 'event.payload', operator: 'equals', value: 42 }, 42)).toBe(true);
  });

  it('never reads inherited properties', () => {
    expect(one({ field: 'event.payload.constructor', operator: 'exists' }, {})).toBe(false);
    expect(one({ field: 'event.payload.__proto__', operator: 'exists' }, {})).toBe(false);
    expect(one({ field: 'event.payload.tags.length', operator: 'equals', value: 2 })).toBe(false);
  });
});

describe('checkConditions', () => {
  it('accepts well-formed conditions', () => {
    expect(
      checkConditions([
        { field: 'event.payload.severity', operator: 'equals', value: 'critical' },
        { field: 'event.payload.n', operator: 'gt', value: 3 },
        { field: 'event.payload.s', operator: 'in', value: ['a'] },
        { field: 'event.payload.s', operator: 'exists' },
        { field: 'event.payload.s', operator: 'matches', value: '^a(b|c)*$' },
      ]),
    ).toEqual([]);
    expect(checkConditions(undefined)).toEqual([]);
  });

  it('names each fault by its field', () => {
    expect(
      checkConditions([
        { field: 'payload.severity', operator: 'equals', value: 1 },
        { field: 'event.payload.x', operator: 'like', value: 1 },
        { field: 'event.payload.x', operator: 'equals' },
        { field: 'event.payload.x', operator: 'in', value: 'a' },
        { field: 'event.payload.x', operator: 'matches', value: '([a-z' },
        { field: 'event.payload.x', operator: 'matches', value: '(a)\\1' },
        { field: 'event.payload.x', operator: 'gt', value: {} },
        { field: "constructor.constructor('x')()", operator: 'exists' },
        { field: 'event.payload.x', operator: 'exists', value: 'yes', extra: 1 },
        'nope',
      ]),
    ).toEqual([
      { field: 'conditions[0].field', message: expect.stringContaining('must start with') },
      { field: 'conditions[1].operator', message: expect.stringContaining('must be one of') },
      { field: 'conditions[2].value', message: 'is required' },
      { field: 'conditions[3].value', message: 'must be a list of values' },
      { field: 'conditions[4].value', message: expect.stringContaining('not a regular expression the platform can run') },
      { field: 'conditions[5].value', message: expect.stringContaining('backreferences are not supported') },
      { field: 'conditions[6].value', message: 'must be a number or a string' },
      { field: 'conditions[7].field', message: expect.stringContaining('unexpected') },
      { field: 'conditions[8]', message: 'unknown key(s) "extra"' },
      { field: 'conditions[8].value', message: expect.stringContaining('true or false') },
      { field: 'conditions[9]', message: expect.stringContaining('must be an object') },
    ]);
    expect(checkConditions({ field: 'x' })).toEqual([{ field: 'conditions', message: expect.stringContaining('list') }]);
  });
});

describe('matches runs in linear time', () => {
  // Each of these took seconds to minutes on a backtracking engine with this input.
  it.each(['^(a|a)*$', '(.*a){8}$', '^.*.*.*b$', '^(a+)+$', '^(\\w*)*$'])('%s against 40 a and a ! answers at once', (pattern) => {
    const started = performance.now();
    const c: RuleCondition = { field: 'event.payload.s', operator: 'matches', value: pattern };
    expect(checkConditions([c])).toEqual([]);
    const text = 'a'.repeat(40) + '!';
    expect(evaluateConditions([c], 'all', { event: { id: 1, trigger_ref: 't', payload: { s: text }, source: 'webhook', created: '' }, rule: { ref: 'r', pack_ref: 'p' } })).toBe(false);
    expect(performance.now() - started).toBeLessThan(200);
  });

  it('still matches like a regular expression', () => {
    const ctx = (s: string) => ({ event: { id: 1, trigger_ref: 't', payload: { s }, source: 'webhook', created: '' }, rule: { ref: 'r', pack_ref: 'p' } });
    const m = (value: string, s: string) => evaluateConditions([{ field: 'event.payload.s', operator: 'matches', value }], 'all', ctx(s));
    expect(m('^(a|a)*$', 'aaaa')).toBe(true);
    expect(m('disk (full|low)', 'the disk full alert')).toBe(true);
    expect(m('^\\d{3}$', '12a')).toBe(false);
    expect(m('(?i)^ERROR', 'error: x')).toBe(true);
  });
});

describe('Attune expression criteria', () => {
  const ctx = (payload: unknown) =>
    ({ event: { id: 1, trigger_ref: 'demo.hook', payload, source: 'webhook', created: '2030-01-01T00:00:00.000Z' }, rule: { ref: 'demo.r', pack_ref: 'demo' } }) as const;

  it('accepts {expression} with or without braces and refuses bad ones', () => {
    expect(checkConditions({ expression: "{{ event.payload.status == 'critical' }}" })).toEqual([]);
    expect(checkConditions({ expression: 'event.payload.count > 2 and rule.pack_ref == "demo"' })).toEqual([]);
    expect(checkConditions({ expression: '{{ event.payload.status == }}' })[0].field).toBe('conditions.expression');
    expect(checkConditions({ expression: '{{ event.prototype }}' })[0].message).toMatch(/may not be used/);
    expect(checkConditions({ expression: 5 })[0].field).toBe('conditions.expression');
    expect(checkConditions({ expression: 'true', extra: 1 })[0].message).toMatch(/unknown key/);
  });

  it('matches when the expression is truthy', () => {
    const criteria = { expression: "{{ event.payload.status == 'critical' }}" };
    expect(evaluateConditions(criteria, 'all', ctx({ status: 'critical' }) as any)).toBe(true);
    expect(evaluateConditions(criteria, 'any', ctx({ status: 'warning' }) as any)).toBe(false);
    expect(evaluateConditions(criteria, 'all', ctx('not an object') as any)).toBe(false);
    expect(evaluateConditions({ expression: "{{ 'web' in event.payload.host and event.payload.n >= 3 }}" }, 'all', ctx({ host: 'web-1', n: 3 }) as any)).toBe(true);
  });
});
