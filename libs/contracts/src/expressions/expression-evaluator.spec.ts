import {
  compileExpression,
  evaluateCondition,
  ExpressionError,
  expressionProblem,
  isTruthy,
  renderTemplate,
  wholeExpression,
} from './expression-evaluator';

const scope = {
  event: { payload: { status: 'critical', count: 3, hosts: ['web-1', 'web-2'], nested: { a: { b: [10, 20] } }, empty: [] } },
  parameters: { name: 'Ada', n: '42', items: [{ ok: true, v: 1 }, { ok: false, v: 2 }, { ok: true, v: 3 }] },
};
const ev = (src: string) => compileExpression(src).evaluate(scope);

describe('expression language', () => {
  it('reads paths, lists and objects', () => {
    expect(ev('event.payload.status')).toBe('critical');
    expect(ev("event.payload['status']")).toBe('critical');
    expect(ev('event.payload.hosts[1]')).toBe('web-2');
    expect(ev('event.payload.nested.a.b[0]')).toBe(10);
    expect(ev('event.payload.missing.deeper')).toBeUndefined();
    expect(ev('parameters.items[.ok].v')).toBeUndefined(); // filtering answers a list; members of lists are not read
    expect(ev('parameters.items[.ok]')).toEqual([{ ok: true, v: 1 }, { ok: true, v: 3 }]);
    expect(ev("{ a: 1, b: [true, null, 'x'] }")).toEqual({ a: 1, b: [true, null, 'x'] });
  });

  it('has the comparison, boolean, membership and arithmetic operators', () => {
    expect(ev("event.payload.status == 'critical'")).toBe(true);
    expect(ev("event.payload.status != 'critical'")).toBe(false);
    expect(ev('event.payload.count > 2 and event.payload.count <= 3')).toBe(true);
    expect(ev('event.payload.count < 2 or event.payload.count >= 3')).toBe(true);
    expect(ev("not event.payload.status == 'ok'")).toBe(true);
    expect(ev('not false and false')).toBe(false);
    expect(ev('true or false and false')).toBe(true);
    expect(ev("'web-1' in event.payload.hosts")).toBe(true);
    expect(ev("'crit' in event.payload.status")).toBe(true);
    expect(ev("'status' in event.payload")).toBe(true);
    expect(ev('event.payload.count * 2 + 1')).toBe(7);
    expect(ev('10 % 4')).toBe(2);
    expect(ev("'a' + 'b'")).toBe('ab');
    expect(ev("event.payload.count == '3'")).toBe(false); // strict JSON comparison
    expect(ev('[1, {a: 2}] == [1, {a: 2}]')).toBe(true);
    expect(ev("event.payload.count > 1 ? 'many' : 'one'")).toBe('many');
    expect(ev('event.payload.missing == null')).toBe(false); // missing is not null: strict
    expect(ev('(event.payload.missing | default(null)) == null')).toBe(true);
  });

  it('has the filters workflows need', () => {
    expect(ev("event.payload.hosts | join(', ')")).toBe('web-1, web-2');
    expect(ev('event.payload.hosts | length')).toBe(2);
    expect(ev('event.payload.status | length')).toBe(8);
    expect(ev("event.payload.missing | default('none')")).toBe('none');
    expect(ev("event.payload.status | default('none')")).toBe('critical');
    expect(ev('event.payload.nested | json')).toBe('{"a":{"b":[10,20]}}');
    expect(ev('event.payload.status | upper')).toBe('CRITICAL');
    expect(ev("'MiXed' | lower")).toBe('mixed');
    expect(ev('parameters.n | int')).toBe(42);
    expect(ev('event.payload.empty | length')).toBe(0);
  });

  it('renders templates: one whole expression keeps its type, text interpolates', () => {
    expect(renderTemplate('{{ event.payload.count }}', scope)).toBe(3);
    expect(renderTemplate('{{ event.payload.hosts }}', scope)).toEqual(['web-1', 'web-2']);
    expect(renderTemplate('{{ event.payload.host }}', scope)).toBeUndefined();
    expect(renderTemplate('Host {{ event.payload.hosts | join(", ") }} is {{ event.payload.status | upper }}', scope)).toBe(
      'Host web-1, web-2 is CRITICAL',
    );
    expect(renderTemplate('n={{ event.payload.missing }}!', scope)).toBe('n=!');
    expect(wholeExpression('  {{ a == 1 }} ')).toBe('a == 1');
    expect(wholeExpression('{{ a }} and {{ b }}')).toBeUndefined();
  });

  it('evaluates conditions to true or false, with or without braces', () => {
    expect(evaluateCondition("{{ event.payload.status == 'critical' }}", scope)).toBe(true);
    expect(evaluateCondition("event.payload.status == 'warning'", scope)).toBe(false);
    expect(evaluateCondition('{{ event.payload.empty }}', scope)).toBe(false);
    expect(evaluateCondition('{{ event.payload.hosts }}', scope)).toBe(true);
    expect([null, 0, '', [], {}, false].map(isTruthy)).toEqual([false, false, false, false, false, false]);
  });

  it('refuses what does not parse, unknown filters and functions', () => {
    expect(expressionProblem('a ==')).toMatch(/does not parse/);
    expect(expressionProblem('a | nosuchfilter')).toMatch(/not a filter/);
    expect(expressionProblem("eval('1')")).toMatch(/not a function/);
    expect(expressionProblem('x | valueOf')).toBeDefined();
    expect(expressionProblem('')).toMatch(/empty/);
    expect(expressionProblem('['.repeat(100) + ']'.repeat(100))).toMatch(/nests deeper/);
    expect(expressionProblem('('.repeat(1500) + '1' + ')'.repeat(1500))).toBeUndefined(); // grouping only: no deep tree
    expect(expressionProblem('a'.repeat(5000))).toMatch(/at most/);
  });
});

describe('expression safety: inert against reaching code, prototypes or globals', () => {
  const probes = [
    "''.constructor.constructor('return process')()",
    "''.constructor",
    'event.constructor',
    'event.__proto__',
    "event['__proto__']",
    "event['constructor']",
    "event['con' + 'structor']",
    "event.payload.hosts['constructor']",
    "event.payload['__proto__'].polluted",
    '{}.constructor',
    'constructor',
    'this',
    'process',
    'globalThis.process',
    'require',
    "event.payload.status['toString']",
    'event.payload.hosts.map',
    "event.payload.hosts['ma' + 'p']",
    'x | constructor',
    "{ __proto__: { polluted: true } }",
  ];

  it.each(probes)('%s is refused or answers nothing', (probe) => {
    let value: unknown;
    try {
      value = compileExpression(probe).evaluate(scope);
    } catch (err) {
      expect(err).toBeInstanceOf(ExpressionError);
      return;
    }
    expect(value === undefined || value === null || (typeof value === 'object' && Object.getPrototypeOf(value) === null)).toBe(true);
    expect(typeof value).not.toBe('function');
  });

  it('never pollutes prototypes and never reaches the process', () => {
    for (const probe of probes) {
      try {
        compileExpression(probe).evaluate(scope);
      } catch {
        // refused: fine
      }
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('reads own properties only, even for keys built at run time', () => {
    const data = { payload: JSON.parse('{"__proto__": {"x": 1}, "ok": 2}') };
    expect(compileExpression("payload['__pro' + 'to__']").evaluate(data)).toBeUndefined();
    expect(compileExpression("payload['o' + 'k']").evaluate(data)).toBe(2);
    expect(compileExpression("payload['hasOwnProperty']").evaluate(data)).toBeUndefined();
  });
});
