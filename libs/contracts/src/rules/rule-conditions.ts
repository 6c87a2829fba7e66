import { compileLinearRegex, type LinearRegex, linearPatternProblem } from '../linear-regex';
import { evaluateCondition, ExpressionError, expressionProblem, wholeExpression } from '../expressions/expression-evaluator';
import { isPlainObject, jsonEquals, lookupPath, type PathSegment, PathSyntaxError } from './object-path';
import { parseContextPath, type RuleContext } from './rule-context';

/**
 * Rule conditions: a list of `{field, operator, value}` combined with `all` (default) or `any`.
 * An empty list always matches. Comparisons are strict about JSON types: `"5"` does not equal
 * `5`, and `gt`/`gte`/`lt`/`lte` compare two numbers, or two strings (lexically, which orders
 * ISO-8601 timestamps correctly); any other pair does not match. A missing field matches only
 * `not_equals` and `exists: false`.
 */
export const CONDITION_OPERATORS = ['equals', 'not_equals', 'contains', 'matches', 'gt', 'gte', 'lt', 'lte', 'in', 'exists'] as const;
export type ConditionOperator = (typeof CONDITION_OPERATORS)[number];

export const CONDITION_MODES = ['all', 'any'] as const;
export type ConditionMode = (typeof CONDITION_MODES)[number];

export interface RuleCondition {
  field: string;
  operator: ConditionOperator;
  value?: unknown;
}

/**
 * Attune's form of criteria: one expression, `{"expression": "{{ event.payload.status == 'critical' }}"}`
 * (the braces are optional), evaluated by the platform's expression language against `event` and
 * `rule`. The rule matches when the value is truthy. `condition` (all/any) does not apply to it.
 */
export interface RuleExpressionCriteria {
  expression: string;
}

/** A rule's criteria: the list form, or Attune's expression form. */
export type RuleConditions = RuleCondition[] | RuleExpressionCriteria;

export function isExpressionCriteria(c: unknown): c is RuleExpressionCriteria {
  return isPlainObject(c) && typeof c.expression === 'string';
}

export const MAX_CONDITIONS = 50;

export interface ConditionProblem {
  field: string;
  message: string;
}

/** Checks conditions as a client sent them; answers one problem per fault, by field path. */
export function checkConditions(input: unknown, field = 'conditions'): ConditionProblem[] {
  if (input === undefined || input === null) return [];
  if (isPlainObject(input) && 'expression' in input) {
    const extra = Object.keys(input).filter((k) => k !== 'expression');
    if (extra.length) return [{ field, message: `the expression form has only "expression"; unknown key(s) ${extra.map((k) => `"${k}"`).join(', ')}` }];
    if (typeof input.expression !== 'string') return [{ field: `${field}.expression`, message: 'must be a string such as "{{ event.payload.status == \'critical\' }}"' }];
    const problem = expressionProblem(wholeExpression(input.expression) ?? input.expression);
    return problem ? [{ field: `${field}.expression`, message: problem }] : [];
  }
  if (!Array.isArray(input)) return [{ field, message: 'must be a list of {field, operator, value}, or {expression: "{{ … }}"}' }];
  if (input.length > MAX_CONDITIONS) return [{ field, message: `may hold at most ${MAX_CONDITIONS} conditions` }];
  const problems: ConditionProblem[] = [];
  input.forEach((c, i) => {
    const at = `${field}[${i}]`;
    if (!isPlainObject(c)) {
      problems.push({ field: at, message: 'must be an object {field, operator, value}' });
      return;
    }
    const unknown = Object.keys(c).filter((k) => !['field', 'operator', 'value'].includes(k));
    if (unknown.length) problems.push({ field: at, message: `unknown key(s) ${unknown.map((k) => `"${k}"`).join(', ')}` });
    if (typeof c.field !== 'string') {
      problems.push({ field: `${at}.field`, message: 'must be a path such as "event.payload.severity"' });
    } else {
      try {
        parseContextPath(c.field);
      } catch (err) {
        problems.push({ field: `${at}.field`, message: err instanceof PathSyntaxError ? err.message : 'is not a valid path' });
      }
    }
    if (!(CONDITION_OPERATORS as readonly unknown[]).includes(c.operator)) {
      problems.push({ field: `${at}.operator`, message: `must be one of ${CONDITION_OPERATORS.join(', ')}` });
      return;
    }
    const message = valueProblem(c.operator as ConditionOperator, c.value, 'value' in c);
    if (message) problems.push({ field: `${at}.value`, message });
  });
  return problems;
}

function valueProblem(op: ConditionOperator, value: unknown, present: boolean): string | undefined {
  switch (op) {
    case 'equals':
    case 'not_equals':
    case 'contains':
      return present ? undefined : 'is required';
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return typeof value === 'number' || typeof value === 'string' ? undefined : 'must be a number or a string';
    case 'in':
      return Array.isArray(value) ? undefined : 'must be a list of values';
    case 'exists':
      return value === undefined || typeof value === 'boolean' ? undefined : 'must be true or false (default true)';
    case 'matches':
      if (typeof value !== 'string') return 'must be a regular expression as a string';
      return patternProblem(value);
  }
}

/**
 * A pattern runs against payloads anyone holding a webhook key can send, so it runs on RE2
 * (linear time whatever the pattern, see linear-regex.ts). Patterns RE2 cannot run
 * (backreferences, lookaround) are refused here, when the rule is saved.
 */
export function patternProblem(pattern: string): string | undefined {
  return linearPatternProblem(pattern);
}

interface CompiledCondition {
  path: PathSegment[];
  operator: ConditionOperator;
  value: unknown;
  regex?: LinearRegex;
}

/** Evaluates checked conditions against the context. */
export function evaluateConditions(conditions: RuleConditions | null | undefined, mode: ConditionMode, context: RuleContext): boolean {
  if (isExpressionCriteria(conditions)) {
    try {
      return evaluateCondition(conditions.expression, context as unknown as Record<string, unknown>);
    } catch (err) {
      // A filter applied to data of another shape fails at run time: the rule does not match that event.
      if (err instanceof ExpressionError) return false;
      throw err;
    }
  }
  if (!conditions || conditions.length === 0) return true;
  const compiled = conditions.map(compile);
  return mode === 'any' ? compiled.some((c) => test(c, context)) : compiled.every((c) => test(c, context));
}

function compile(c: RuleCondition): CompiledCondition {
  return {
    path: parseContextPath(c.field),
    operator: c.operator,
    value: c.value,
    regex: c.operator === 'matches' && typeof c.value === 'string' ? compileLinearRegex(c.value) : undefined,
  };
}

function test(c: CompiledCondition, context: RuleContext): boolean {
  const found = lookupPath(context, c.path);
  if (c.operator === 'exists') return found.found === (c.value === undefined ? true : c.value === true);
  if (c.operator === 'not_equals') return !found.found || !jsonEquals(found.value, c.value);
  if (!found.found) return false;
  const actual = found.value;
  switch (c.operator) {
    case 'equals':
      return jsonEquals(actual, c.value);
    case 'contains':
      if (typeof actual === 'string') return typeof c.value === 'string' && actual.includes(c.value);
      if (Array.isArray(actual)) return actual.some((v) => jsonEquals(v, c.value));
      return false;
    case 'matches':
      return typeof actual === 'string' && !!c.regex && c.regex.test(actual);
    case 'in':
      return Array.isArray(c.value) && c.value.some((v) => jsonEquals(actual, v));
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return compare(actual, c.value, c.operator);
  }
}

function compare(a: unknown, b: unknown, op: 'gt' | 'gte' | 'lt' | 'lte'): boolean {
  const comparable = (typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string');
  if (!comparable) return false;
  const x = a as number | string;
  const y = b as number | string;
  switch (op) {
    case 'gt':
      return x > y;
    case 'gte':
      return x >= y;
    case 'lt':
      return x < y;
    case 'lte':
      return x <= y;
  }
}
