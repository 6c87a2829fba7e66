import { DomainError } from '@attune/contracts';
import type { ActionEntity } from '@attune/persistence';
import { ParameterValidator } from './parameter-validator';

const action = (paramSchema: ActionEntity['paramSchema']): ActionEntity =>
  ({ id: 1, ref: 'p.a', paramSchema, updated: new Date() }) as ActionEntity;

describe('ParameterValidator', () => {
  const validator = new ParameterValidator();

  it('fills defaults without touching the caller object', () => {
    const input = {};
    const out = validator.validate(action({ type: 'object', properties: { m: { type: 'string', default: 'hi' } } }), input);
    expect(out).toEqual({ m: 'hi' });
    expect(input).toEqual({});
  });

  it('answers VALIDATION_ERROR naming each failing field', () => {
    const schema = action({
      type: 'object',
      properties: { n: { type: 'integer' }, s: { type: 'string' } },
      required: ['s'],
      additionalProperties: false,
    });
    try {
      validator.validate(schema, { n: 'x', extra: 1 });
      throw new Error('expected a failure');
    } catch (err) {
      expect(err).toBeInstanceOf(DomainError);
      expect((err as DomainError).code).toBe('VALIDATION_ERROR');
      expect((err as DomainError).details).toEqual(
        expect.arrayContaining([
          { field: 's', message: 'is required' },
          { field: 'n', message: 'must be integer' },
          { field: 'extra', message: 'is not a parameter of this action' },
        ]),
      );
    }
  });

  it('checks formats', () => {
    const schema = action({ type: 'object', properties: { at: { type: 'string', format: 'date-time' } } });
    expect(() => validator.validate(schema, { at: 'yesterday' })).toThrow(DomainError);
    expect(validator.validate(schema, { at: '2026-01-01T00:00:00Z' })).toEqual({ at: '2026-01-01T00:00:00Z' });
  });

  it('ignores the secret annotation', () => {
    const schema = action({ type: 'object', properties: { p: { type: 'string', secret: true } } });
    expect(validator.validate(schema, { p: 'x' })).toEqual({ p: 'x' });
  });

  it('refuses parameters the schema does not declare, unless it sets additionalProperties', () => {
    const closed = action({ type: 'object', properties: { message: { type: 'string' } } });
    expect(() => validator.validate(closed, { mesage: 'hi' })).toThrow(
      expect.objectContaining({ details: [{ field: 'mesage', message: 'is not a parameter of this action' }] }) as unknown as Error,
    );
    const open = action({ type: 'object', properties: {}, additionalProperties: true });
    expect(validator.validate(open, { extra: 1 })).toEqual({ extra: 1 });
  });
});
