import { describe, expect, it } from '@jest/globals';
import { fieldsFromSchema, initialValues, placeFieldErrors, presetValues, SECRET_MASK, toParameters } from './param-form';

const schema = {
  type: 'object',
  properties: {
    message: { type: 'string', default: 'Hello World', description: 'The text to print' },
    count: { type: 'integer', minimum: 1 },
    ratio: { type: 'number' },
    verbose: { type: 'boolean', default: true },
    level: { type: 'string', enum: ['debug', 'info'] },
    options: { type: 'object' },
    token: { type: 'string', secret: true },
    cmd: { type: 'string', minLength: 1 },
  },
  required: ['cmd'],
};

describe('fieldsFromSchema', () => {
  it('makes one typed field per property, required ones first', () => {
    const fields = fieldsFromSchema(schema);
    expect(fields.map((f) => [f.name, f.kind, f.required])).toEqual([
      ['cmd', 'string', true],
      ['message', 'string', false],
      ['count', 'integer', false],
      ['ratio', 'number', false],
      ['verbose', 'boolean', false],
      ['level', 'enum', false],
      ['options', 'json', false],
      ['token', 'secret', false],
    ]);
    expect(fields.find((f) => f.name === 'message')).toMatchObject({ defaultValue: 'Hello World', description: 'The text to print' });
  });

  it('copes with an empty or missing schema, and nullable types', () => {
    expect(fieldsFromSchema(undefined)).toEqual([]);
    expect(fieldsFromSchema({ type: 'object', properties: {} })).toEqual([]);
    expect(fieldsFromSchema({ properties: { n: { type: ['null', 'integer'] } } })[0].kind).toBe('integer');
  });
});

describe('initialValues and toParameters', () => {
  const fields = fieldsFromSchema(schema);

  it('starts at the defaults and sends them back typed', () => {
    const values = initialValues(fields);
    expect(values).toMatchObject({ message: 'Hello World', verbose: true, count: '', cmd: '' });
    expect(toParameters(fields, values)).toEqual({ parameters: { message: 'Hello World', verbose: true }, errors: {} });
  });

  it('turns text into numbers, enum values and JSON, and leaves empty optional fields out', () => {
    const values = { ...initialValues(fields), cmd: 'ls -l', count: ' 3 ', ratio: '0.5', level: '"info"', options: '{"a": [1]}', message: '' };
    expect(toParameters(fields, values)).toEqual({
      parameters: { cmd: 'ls -l', count: 3, ratio: 0.5, verbose: true, level: 'info', options: { a: [1] } },
      errors: {},
    });
  });

  it('reports what cannot be converted on its field and sends nothing of it', () => {
    const values = { ...initialValues(fields), count: 'three', ratio: '1.5', options: '{nope', cmd: 'x' };
    const out = toParameters(fields, { ...values, count: '2.5' });
    expect(out.errors).toEqual({ count: 'must be a whole number', options: 'must be valid JSON' });
    expect(toParameters(fields, values).errors.count).toBe('must be a number');
  });

  it('leaves a missing required field for the API to report (its 422 is the source of truth)', () => {
    expect(toParameters(fields, initialValues(fields)).errors).toEqual({});
  });
});

describe('presetValues (run again)', () => {
  const fields = fieldsFromSchema(schema);

  it('carries the previous parameters but leaves secret fields empty, never sending the mask', () => {
    const values = presetValues(fields, { cmd: 'ls', count: 2, token: SECRET_MASK, message: SECRET_MASK });
    expect(values).toMatchObject({ cmd: 'ls', count: '2', token: '', message: '' });
    const sent = toParameters(fields, values).parameters;
    expect(sent).toEqual({ cmd: 'ls', count: 2, verbose: true });
    expect(Object.values(sent)).not.toContain(SECRET_MASK);
  });
});

describe('placeFieldErrors', () => {
  const fields = fieldsFromSchema(schema);

  it('puts the API details on their fields, nested paths on the top-level one, and the rest above the form', () => {
    const placed = placeFieldErrors(fields, [
      { field: 'cmd', message: 'is required' },
      { field: 'count', message: 'must be >= 1' },
      { field: 'options.depth', message: 'must be integer' },
      { field: 'bogus', message: 'is not a parameter of this action' },
      { field: '(parameters)', message: 'must be object' },
    ]);
    expect(placed.byField).toEqual({ cmd: 'is required', count: 'must be >= 1', options: 'depth: must be integer' });
    expect(placed.other).toEqual(['bogus: is not a parameter of this action', 'must be object']);
  });
});
