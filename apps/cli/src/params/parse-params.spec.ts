import { CliError, ExitCode } from '../errors/exit-codes';
import { checkDuration, coerceValue, paramsFromJson, parseParams, positiveInt } from './parse-params';

const schema = {
  type: 'object',
  properties: {
    message: { type: 'string' },
    count: { type: 'integer' },
    ratio: { type: 'number' },
    force: { type: 'boolean' },
    tags: { type: 'array' },
    opts: { type: ['object', 'null'] },
  },
};

const usage = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(ExitCode.Usage);
    return (err as Error).message;
  }
  throw new Error('expected a usage error');
};

describe('parseParams', () => {
  it("types key=value by the action's schema and keeps strings as they are", () => {
    expect(parseParams(['message=42', 'count=3', 'ratio=0.5', 'force=yes', 'tags=["a","b"]', 'opts={"x":1}'], schema)).toEqual({
      message: '42',
      count: 3,
      ratio: 0.5,
      force: true,
      tags: ['a', 'b'],
      opts: { x: 1 },
    });
  });

  it('splits at the first = only, so values may hold = signs and be empty', () => {
    expect(parseParams(['message=a=b', 'other='], schema)).toEqual({ message: 'a=b', other: '' });
  });

  it('takes key:=<json> literally', () => {
    expect(parseParams(['count:="3"', 'x:=null', 'y:=[1,2]'], schema)).toEqual({ count: '3', x: null, y: [1, 2] });
  });

  it('applies arguments over the parameter file, later ones winning', () => {
    expect(parseParams(['count=2', 'count=5'], schema, { count: 1, message: 'from file' })).toEqual({ count: 5, message: 'from file' });
  });

  it('refuses what is not a parameter or not of its type, naming it', () => {
    expect(usage(() => parseParams(['message'], schema))).toMatch(/"message" is not a parameter/);
    expect(usage(() => parseParams(['=x'], schema))).toMatch(/not a parameter/);
    expect(usage(() => parseParams(['count=3.5'], schema))).toMatch(/count must be an integer/);
    expect(usage(() => parseParams(['ratio=fast'], schema))).toMatch(/ratio must be a number/);
    expect(usage(() => parseParams(['force=maybe'], schema))).toMatch(/force must be true or false/);
    expect(usage(() => parseParams(['tags={}'], schema))).toMatch(/tags must be a JSON array/);
    expect(usage(() => parseParams(['x:={'], schema))).toMatch(/not valid JSON/);
  });

  it('leaves values of unknown parameters as strings', () => {
    expect(coerceValue('x', '12', undefined)).toBe('12');
  });
});

describe('paramsFromJson', () => {
  it('accepts a JSON object only', () => {
    expect(paramsFromJson('{"a":1}', 'p.json')).toEqual({ a: 1 });
    expect(usage(() => paramsFromJson('[1]', 'p.json'))).toMatch(/must hold a JSON object/);
    expect(usage(() => paramsFromJson('nope', 'p.json'))).toMatch(/not valid JSON/);
  });
});

describe('checkDuration and positiveInt', () => {
  it('accepts the ages the API does', () => {
    for (const d of ['45s', '15m', '6h', '7d', '2w', '1s']) expect(checkDuration(d)).toBe(d);
    for (const d of ['7', '0d', '1.5h', 'd', '7days', '-1d']) usage(() => checkDuration(d));
  });

  it('parses positive integers', () => {
    expect(positiveInt('--limit')('5')).toBe(5);
    for (const v of ['0', '-1', '2.5', 'x', '']) usage(() => positiveInt('--limit')(v));
  });
});
