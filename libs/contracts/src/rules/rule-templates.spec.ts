import { checkTemplates, commandTemplateProblems, renderTemplates, templatedPaths } from './rule-templates';
import type { RuleContext } from './rule-context';

const context = (payload: unknown): RuleContext => ({
  event: { id: 7, trigger_ref: 'mon.alert', payload, source: 'webhook', created: '2026-01-01T00:00:00.000Z' },
  rule: { ref: 'mon.page', pack_ref: 'mon' },
});

describe('renderTemplates', () => {
  const payload = { host: 'web-1', count: 3, ok: true, tags: ['a', 'b'], nested: { deep: { x: 'y' } }, items: [{ name: 'first' }], nothing: null };

  it('substitutes placeholders inside text', () => {
    expect(renderTemplates({ message: '{{ event.payload.host }} is down' }, context(payload))).toEqual({ message: 'web-1 is down' });
    expect(renderTemplates({ m: '{{event.payload.count}}/{{ event.payload.ok }} on {{ rule.ref }} #{{ event.id }}' }, context(payload))).toEqual({
      m: '3/true on mon.page #7',
    });
  });

  it('follows nested paths, array indexes and quoted keys', () => {
    const p = { ...payload, 'odd key': 'v' };
    expect(
      renderTemplates(
        { a: '{{ event.payload.nested.deep.x }}', b: '{{ event.payload.items[0].name }}', c: '{{ event.payload.tags.1 }}', d: '{{ event.payload["odd key"] }}' },
        context(p),
      ),
    ).toEqual({ a: 'y', b: 'first', c: 'b', d: 'v' });
  });

  it('keeps the JSON type of a value that is exactly one placeholder', () => {
    expect(renderTemplates({ n: '{{ event.payload.count }}', t: ' {{ event.payload.tags }} ', o: '{{ event.payload.nested }}' }, context(payload))).toEqual({
      n: 3,
      t: ['a', 'b'],
      o: { deep: { x: 'y' } },
    });
  });

  it('renders objects and arrays inside text as JSON, and null as empty', () => {
    expect(renderTemplates({ m: 'tags={{ event.payload.tags }} n={{ event.payload.nothing }}' }, context(payload))).toEqual({ m: 'tags=["a","b"] n=' });
  });

  it('leaves out a parameter whose whole value is a missing path, and renders a missing path in text as empty', () => {
    expect(renderTemplates({ gone: '{{ event.payload.nope }}', text: 'host=[{{ event.payload.nope.deeper }}]', list: ['{{ event.payload.nope }}', 'x'] }, context(payload))).toEqual({
      text: 'host=[]',
      list: [null, 'x'],
    });
    // Indexing past the end, into a string or into null is missing too.
    expect(renderTemplates({ a: 'a{{ event.payload.tags[9] }}', b: 'b{{ event.payload.host.length }}', c: 'c{{ event.payload.nothing.x }}' }, context(payload))).toEqual({
      a: 'a',
      b: 'b',
      c: 'c',
    });
  });

  it('does not touch values without placeholders, nor object keys', () => {
    const params = { '{{ event.payload.host }}': 1, n: 5, b: false, z: null, s: 'plain } { text' };
    expect(renderTemplates(params, context(payload))).toEqual(params);
  });

  it('never evaluates what a payload carries: substituted text is not rendered again', () => {
    const evil = {
      host: "{{constructor.constructor('return process')()}}",
      other: '{{ event.payload.secret }}',
      secret: 's3cret',
    };
    expect(renderTemplates({ message: '{{ event.payload.host }} / {{ event.payload.other }}' }, context(evil))).toEqual({
      message: "{{constructor.constructor('return process')()}} / {{ event.payload.secret }}",
    });
  });

  it('reads prototype names only as own payload keys, never from Object.prototype', () => {
    const plain = { host: 'h' };
    expect(
      renderTemplates(
        { a: 'x{{ event.payload.constructor }}', b: 'x{{ event.payload.__proto__ }}', c: 'x{{ event.payload.toString }}', d: 'x{{ event.constructor.name }}' },
        context(plain),
      ),
    ).toEqual({ a: 'x', b: 'x', c: 'x', d: 'x' });
    // A payload may legitimately carry such keys (JSON.parse makes them own data properties).
    const own = JSON.parse('{"__proto__": {"polluted": true}, "constructor": "c"}');
    expect(renderTemplates({ a: '{{ event.payload.__proto__ }}', b: '{{ event.payload.constructor }}' }, context(own))).toEqual({
      a: { polluted: true },
      b: 'c',
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('keeps a "__proto__" key of action_params a plain key, without polluting any prototype', () => {
    const params = JSON.parse('{"__proto__": {"polluted": "{{ event.payload.host }}"}, "m": 1}');
    const out = renderTemplates(params, context({ host: 'h' })) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__', 'm']);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({ polluted: 'h' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((out as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('does not share objects with the event', () => {
    const p = { obj: { a: 1 } };
    const out = renderTemplates({ o: '{{ event.payload.obj }}' }, context(p)) as unknown as { o: { a: number } };
    out.o.a = 2;
    expect(p.obj.a).toBe(1);
  });
});

describe('checkTemplates', () => {
  it('accepts paths into event and rule', () => {
    expect(checkTemplates({ a: '{{ event.payload.a }}', b: ['x {{ rule.ref }}'], c: { d: '{{event.id}}' }, e: 5, f: 'no template' })).toEqual([]);
  });

  it('refuses code, expressions and unknown roots, naming the field', () => {
    const problems = checkTemplates({
      a: "{{constructor.constructor('return process')()}}",
      b: '{{ event.payload.x + 1 }}',
      c: '{{ process.env.HOME }}',
      d: '{{ __proto__ }}',
      e: ['{{ event.payload.x | upper }}'],
      f: { g: '{{ }}' },
      h: '{{ this }}',
      i: '{{ event["payload"].toString() }}',
    });
    expect(problems.map((p) => p.field)).toEqual(['action_params.a', 'action_params.b', 'action_params.c', 'action_params.d', 'action_params.e[0]', 'action_params.f.g', 'action_params.h', 'action_params.i']);
    for (const p of problems) expect(p.message).toMatch(/unsupported template/);
  });

  it('refuses an unclosed placeholder', () => {
    expect(checkTemplates({ a: 'host {{ event.payload.host' })).toEqual([{ field: 'action_params.a', message: expect.stringContaining('unclosed') }]);
    expect(checkTemplates({ a: '{{ {{ event.payload.host }}' })[0].message).toContain('unclosed');
  });

  it('renders an invalid placeholder (should one reach rendering) as missing, never as code', () => {
    expect(renderTemplates({ a: "x{{constructor.constructor('return process')()}}" }, context({}))).toEqual({ a: 'x' });
  });
});

describe('templatedPaths', () => {
  it('lists the parameters holding placeholders', () => {
    expect(templatedPaths({ a: '{{ event.id }}', b: 'x', c: { d: 'y {{ event.id }}' }, e: ['{{ event.id }}'] })).toEqual(['a', 'c.d', 'e.0']);
  });
});

describe('commandTemplateProblems', () => {
  const schema = { properties: { cmd: { type: 'string', 'x-attune-command': true }, note: { type: 'string' } } };
  it('refuses templates in a parameter run as a shell command, and nothing else', () => {
    expect(commandTemplateProblems(schema, { cmd: 'echo {{ event.payload.x }}' })).toEqual([{ field: 'cmd', message: expect.stringContaining('may not hold a template') }]);
    expect(commandTemplateProblems(schema, { cmd: 'true', note: '{{ event.payload.x }}' })).toEqual([]);
    expect(commandTemplateProblems({ properties: { cmd: { type: 'string' } } }, { cmd: '{{ event.payload.x }}' })).toEqual([]);
  });
});
