import { RE2JS } from 're2js';

/**
 * Regular expressions that meet user input run on RE2 (the pure-JavaScript port `re2js`), whose
 * matching time is linear in the input whatever the pattern: `^(a|a)*$`, `(.*a){8}` or `.*.*.*`
 * cost the same as `^a*$`. JavaScript's own RegExp backtracks and cannot be interrupted, so one
 * webhook could hold an event loop for minutes.
 *
 * The price is RE2's syntax: no backreferences (`\1`) and no lookaround (`(?=`, `(?<!`). Such
 * patterns are refused when they are saved (422), never at match time.
 */

/** Longest pattern accepted anywhere a user may write one. */
export const MAX_PATTERN_LENGTH = 512;

export interface LinearRegex {
  /** Whether the pattern matches anywhere in `input` (like RegExp.prototype.test). */
  test(input: string): boolean;
}

/**
 * Compiles a JavaScript-style pattern for RE2. `flags` may hold `i`, `m` and `s`; `u` is accepted
 * and ignored (RE2 always works on code points). Throws an Error saying why when RE2 cannot run it.
 */
export function compileLinearRegex(pattern: string, flags = ''): LinearRegex {
  let bits = 0;
  for (const f of flags) {
    if (f === 'i') bits |= RE2JS.CASE_INSENSITIVE;
    else if (f === 'm') bits |= RE2JS.MULTILINE;
    else if (f === 's') bits |= RE2JS.DOTALL;
    else if (f !== 'u') throw new Error(`regular expression flag "${f}" is not supported`);
  }
  let re: RE2JS;
  try {
    re = RE2JS.compile(RE2JS.translateRegExp(pattern), bits);
  } catch (err) {
    throw new Error(explain((err as Error).message));
  }
  return { test: (input: string) => re.test(input), toString: () => `/${pattern}/${flags}` } as LinearRegex;
}

/** Why `pattern` cannot be used as a user pattern, or undefined when it can. */
export function linearPatternProblem(pattern: string): string | undefined {
  if (pattern.length > MAX_PATTERN_LENGTH) return `a pattern may have at most ${MAX_PATTERN_LENGTH} characters`;
  try {
    compileLinearRegex(pattern);
    return undefined;
  } catch (err) {
    return `is not a regular expression the platform can run: ${(err as Error).message}`;
  }
}

function explain(message: string): string {
  const m = message.replace(/^error parsing regexp: /, '');
  if (/invalid escape sequence: `\\[1-9]/.test(m)) return `${m} (backreferences are not supported)`;
  if (/`\(\?[=!<]/.test(m) || /invalid named capture: `\(\?<[=!]/.test(m)) return `${m} (lookahead and lookbehind are not supported)`;
  return m;
}

/**
 * The engine handed to ajv (`code: {regExp}`), so JSON Schema `pattern` and `patternProperties`
 * run on RE2 too. `code` only matters for ajv's standalone code generation, which is not used.
 */
export const linearRegExpEngine = Object.assign((pattern: string, flags: string) => compileLinearRegex(pattern, flags), {
  code: 'compileLinearRegex',
});

/**
 * Every `pattern` and `patternProperties` key in a JSON Schema that RE2 cannot run, with where
 * it is (`properties.name.pattern`). Walks the whole schema, so nested ones are found too.
 */
export function schemaPatternProblems(schema: unknown, at = ''): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  const walk = (node: unknown, path: string, depth: number) => {
    if (depth > 64 || node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      node.forEach((n, i) => walk(n, `${path}[${i}]`, depth + 1));
      return;
    }
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      const here = path ? `${path}.${key}` : key;
      if (key === 'pattern' && typeof value === 'string') {
        const problem = linearPatternProblem(value);
        if (problem) problems.push({ field: here, message: problem });
      } else if (key === 'patternProperties' && value && typeof value === 'object' && !Array.isArray(value)) {
        for (const [p, sub] of Object.entries(value as Record<string, unknown>)) {
          const problem = linearPatternProblem(p);
          if (problem) problems.push({ field: `${here}.${p}`, message: problem });
          walk(sub, `${here}.${p}`, depth + 1);
        }
        continue;
      }
      if (key !== 'enum' && key !== 'const' && key !== 'default' && key !== 'examples') walk(value, here, depth + 1);
    }
  };
  walk(schema, at, 0);
  return problems;
}
