import { DomainError } from './error-codes';
import { ParameterSchemaValidator } from './parameter-validation';

describe('ParameterSchemaValidator', () => {
  const validator = new ParameterSchemaValidator();

  it('fills defaults without touching the caller object', () => {
    const input = {};
    const outcome = validator.check({ type: 'object', properties: { m: { type: 'string', default: 'hi' } } }, input);
    expect(outcome).toEqual({ ok: true, value: { m: 'hi' } });
    expect(input).toEqual({});
  });

  it('names each failing field with its keyword', () => {
    const outcome = validator.check(
      { type: 'object', properties: { n: { type: 'integer' } }, required: ['s'], additionalProperties: false },
      { n: 'x', extra: 1 },
      { unknownKeyMessage: 'is not a parameter of this trigger' },
    );
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.problems).toEqual(
      expect.arrayContaining([
        { field: 's', message: 'is required', keyword: 'required' },
        { field: 'n', message: 'must be integer', keyword: 'type' },
        { field: 'extra', message: 'is not a parameter of this trigger', keyword: 'additionalProperties' },
      ]),
    );
  });

  it('throws VALIDATION_ERROR with {field, message} details from validate()', () => {
    try {
      validator.validate({ type: 'object', properties: { at: { type: 'string', format: 'date-time' } } }, { at: 'yesterday' }, 'bad params');
      throw new Error('expected a failure');
    } catch (err) {
      expect(err).toBeInstanceOf(DomainError);
      expect(err).toMatchObject({ code: 'VALIDATION_ERROR', message: 'bad params', details: [{ field: 'at', message: 'must match format "date-time"' }] });
    }
  });

  it('reports an invalid schema as a problem instead of throwing', () => {
    const outcome = validator.check({ type: 'object', properties: { a: { type: 'no-such-type' } } }, {});
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.problems[0]).toMatchObject({ field: '(schema)', keyword: 'schema' });
  });

  it('caches by key, so a new version of a schema is compiled again', () => {
    const v1 = { type: 'object' as const, properties: { a: { type: 'string' } } };
    const v2 = { type: 'object' as const, properties: { a: { type: 'integer' } } };
    expect(validator.check(v1, { a: 'x' }, { cacheKey: 'k:1' }).ok).toBe(true);
    expect(validator.check(v2, { a: 'x' }, { cacheKey: 'k:2' }).ok).toBe(false);
    expect(validator.check(v2, { a: 'x' }).ok).toBe(false);
  });
});
