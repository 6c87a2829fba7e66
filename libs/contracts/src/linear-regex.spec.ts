import { compileLinearRegex, linearPatternProblem, schemaPatternProblems } from './linear-regex';
import { ParameterSchemaValidator } from './parameter-validation';

describe('linear regular expressions', () => {
  it('run the patterns that backtrack catastrophically in linear time', () => {
    const text = `${'a'.repeat(5000)}!`;
    for (const p of ['^(a|a)*$', '(.*a){8}$', '^.*.*.*b$', '^(a+)+$']) {
      const started = performance.now();
      expect(compileLinearRegex(p).test(text)).toBe(false);
      expect(performance.now() - started).toBeLessThan(2000);
    }
  });

  it('keep JavaScript syntax and flags', () => {
    expect(compileLinearRegex('^\\d{3}-(?<n>\\w+)$').test('123-abc')).toBe(true);
    expect(compileLinearRegex('^abc$', 'i').test('ABC')).toBe(true);
    expect(compileLinearRegex('\\u00e9').test('café')).toBe(true);
  });

  it('name what they cannot run', () => {
    expect(linearPatternProblem('(a)\\1')).toContain('backreferences are not supported');
    expect(linearPatternProblem('(?=a)')).toContain('lookahead and lookbehind are not supported');
    expect(linearPatternProblem('(?<!a)b')).toContain('lookahead and lookbehind are not supported');
    expect(linearPatternProblem('([a-z')).toContain('not a regular expression the platform can run');
    expect(linearPatternProblem('x'.repeat(600))).toContain('at most');
    expect(linearPatternProblem('^(a|b)*$')).toBeUndefined();
  });

  it('find every pattern of a schema, nested ones and patternProperties included', () => {
    const schema = {
      type: 'object',
      properties: {
        pattern: { type: 'string', pattern: '(a)\\1' },
        nested: { type: 'object', properties: { x: { type: 'string', pattern: '^ok$' } }, patternProperties: { '(?=y)': { type: 'string' } } },
        list: { type: 'array', items: { type: 'string', pattern: '(?<=a)b' } },
      },
    };
    expect(schemaPatternProblems(schema).map((p) => p.field)).toEqual([
      'properties.pattern.pattern',
      'properties.nested.patternProperties.(?=y)',
      'properties.list.items.pattern',
    ]);
  });

  it('are the engine of parameter validation', () => {
    const v = new ParameterSchemaValidator();
    const schema = { type: 'object' as const, properties: { s: { type: 'string', pattern: '^(a|a)*$' } } };
    expect(v.check(schema, { s: 'aaaa' }).ok).toBe(true);
    // Compiled above; a backtracking engine would not finish this in a lifetime.
    const started = performance.now();
    expect(v.check(schema, { s: `${'a'.repeat(100)}!` }).ok).toBe(false);
    expect(performance.now() - started).toBeLessThan(2000);
    const bad = v.check({ type: 'object', properties: { s: { type: 'string', pattern: '(a)\\1' } } }, { s: 'aa' });
    expect(bad.ok).toBe(false);
  });
});
