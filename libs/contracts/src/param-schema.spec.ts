import { normalizeParamSchema, secretParameters } from './param-schema';
import { exchangeOf, versionOf, dispatchRoutingKey, MessageTypes } from './messages';
import { ALLOWED_FROM, EXECUTION_STATUSES, isTerminal, TERMINAL_STATUSES } from './execution-status';
import { normalizeRuntime } from './action';

describe('normalizeParamSchema', () => {
  it('keeps a JSON Schema object as it is', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] };
    expect(normalizeParamSchema(schema)).toEqual(schema);
  });

  it('turns the flat form into JSON Schema with a required list', () => {
    expect(
      normalizeParamSchema({
        host: { type: 'string', required: true },
        port: { type: 'integer', default: 22 },
        password: { type: 'string', secret: true },
      }),
    ).toEqual({
      type: 'object',
      properties: { host: { type: 'string' }, port: { type: 'integer', default: 22 }, password: { type: 'string', secret: true } },
      required: ['host'],
    });
  });

  it('answers an empty schema for no schema', () => {
    expect(normalizeParamSchema(undefined)).toEqual({ type: 'object', properties: {} });
  });

  it('refuses what is neither form', () => {
    expect(() => normalizeParamSchema('x')).toThrow('param_schema must be an object');
    expect(() => normalizeParamSchema({ a: 5 })).toThrow('parameter "a" must be an object');
    expect(() => normalizeParamSchema({ type: 'object', properties: {}, required: 'a' })).toThrow('required');
  });

  it('finds secret parameters', () => {
    expect(secretParameters(normalizeParamSchema({ a: { type: 'string', secret: true }, b: { type: 'string' } }))).toEqual(['a']);
  });
});

describe('message names', () => {
  it('maps a message type to its domain exchange and version', () => {
    expect(exchangeOf(MessageTypes.ExecutionRequested)).toBe('executions');
    expect(exchangeOf(MessageTypes.WorkerHeartbeat)).toBe('workers');
    expect(() => exchangeOf('bogus.thing.v1')).toThrow('no known exchange');
    expect(versionOf('execution.requested.v12')).toBe(12);
    expect(() => versionOf('execution.requested')).toThrow('version');
    expect(dispatchRoutingKey('gpu')).toBe('execution.dispatch.v1.gpu');
  });
});

describe('execution statuses', () => {
  it('never lets a terminal status change', () => {
    for (const to of EXECUTION_STATUSES) {
      for (const from of ALLOWED_FROM[to]) expect(TERMINAL_STATUSES).not.toContain(from);
    }
    expect(isTerminal('completed')).toBe(true);
    expect(isTerminal('running')).toBe(false);
  });

  it('accepts runtime aliases', () => {
    expect(normalizeRuntime('core.shell')).toBe('shell');
    expect(normalizeRuntime('Python')).toBe('python');
    expect(normalizeRuntime('ruby')).toBeUndefined();
  });
});
