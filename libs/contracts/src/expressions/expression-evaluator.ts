// jexl ships no types: the reference pulls its declaration into every program that compiles contracts.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./jexl.d.ts" />
import jexlModule, { type JexlAst, type JexlExpression } from 'jexl';
import { isPlainObject, jsonEquals } from '../rules/object-path';

/**
 * The one expression language of the platform: rule criteria now, workflow expressions later.
 * `{{ … }}` holds an expression over named scopes (`event.payload.status == 'critical'`,
 * `parameters.hosts | join(', ')`), evaluated by jexl (a kept expression library: it parses to
 * an AST and walks it, with no eval, Function or vm).
 *
 * Language: literals (strings, numbers, true/false/null, [lists], {objects}); member access
 * `a.b`, `a['b']`, `list[0]`; filtering `list[.status == 'ok']`; operators
 * `== != < <= > >= and or not in + - * / // % ^ ?:` (`&&`, `||`, `!` also work); filters
 * `| join(sep)`, `| length`, `| default(x)`, `| json`, `| upper`, `| lower`, `| trim`, `| string`,
 * `| int`, `| float`, `| keys`, `| values`. `==` compares JSON values strictly ("5" is not 5).
 *
 * It never runs code and never reaches past the data it is given:
 * - every member access reads an own property only (`''.constructor`, `x.__proto__`,
 *   `x.toString` are all undefined), through a rewrite of the parsed tree;
 * - names that lead to code (`constructor`, `prototype`, `__…`) are refused when compiled;
 * - function and filter tables hold only the filters above (no prototype behind them);
 * - the scopes are copied into an object without a prototype.
 */

export class ExpressionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExpressionError';
  }
}

export type ExpressionScope = Record<string, unknown>;

export const MAX_EXPRESSION_LENGTH = 4096;
const MAX_NESTING = 64;
const REFUSED_NAMES = new Set(['constructor', 'prototype']);
const GET = '\u0000get';
const INDEX = '\u0000index';

function refusedName(name: unknown): boolean {
  return typeof name === 'string' && (REFUSED_NAMES.has(name) || name.startsWith('__'));
}

/** An own property of a JSON-like value, or undefined: nothing inherited is ever read. */
function ownProperty(subject: unknown, key: unknown): unknown {
  if (subject === null || subject === undefined) return undefined;
  if (typeof key === 'number') {
    if (!Number.isInteger(key)) return undefined;
    if (Array.isArray(subject)) return key >= 0 ? subject[key] : subject[subject.length + key];
    if (typeof subject === 'string') return key >= 0 ? subject[key] : subject[subject.length + key];
    key = String(key);
  }
  if (typeof key !== 'string' || refusedName(key)) return undefined;
  if (Array.isArray(subject) || typeof subject === 'string') return key === 'length' ? subject.length : undefined;
  if (typeof subject !== 'object') return undefined;
  return Object.prototype.hasOwnProperty.call(subject, key) ? (subject as Record<string, unknown>)[key] : undefined;
}

function toText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v) ?? '';
}

function length(v: unknown): number {
  if (typeof v === 'string' || Array.isArray(v)) return v.length;
  if (isPlainObject(v)) return Object.keys(v).length;
  return 0;
}

/** Jinja-like truth: null, false, 0, '', [] and {} are false. */
export function isTruthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (isPlainObject(v)) return Object.keys(v).length > 0;
  return Boolean(v);
}

function contains(container: unknown, item: unknown): boolean {
  if (typeof container === 'string') return typeof item === 'string' && container.includes(item);
  if (Array.isArray(container)) return container.some((v) => jsonEquals(v, item));
  if (isPlainObject(container)) return typeof item === 'string' && Object.prototype.hasOwnProperty.call(container, item);
  return false;
}

function numberOf(v: unknown, parse: (s: string) => number): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = parse(v.trim());
    return Number.isNaN(n) ? null : n;
  }
  return null;
}

const FILTERS: Record<string, (...args: unknown[]) => unknown> = {
  join: (v, sep = ',') => (Array.isArray(v) ? v.map(toText).join(toText(sep)) : toText(v)),
  length: (v) => length(v),
  default: (v, fallback = '') => (v === undefined || v === null ? fallback : v),
  json: (v) => JSON.stringify(v === undefined ? null : v),
  upper: (v) => toText(v).toUpperCase(),
  lower: (v) => toText(v).toLowerCase(),
  trim: (v) => toText(v).trim(),
  string: (v) => toText(v),
  int: (v) => {
    const n = numberOf(v, (s) => (/^[+-]?\d+(\.\d*)?$/.test(s) ? Number(s) : Number.NaN));
    return n === null ? null : Math.trunc(n);
  },
  float: (v) => numberOf(v, (s) => (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) ? Number(s) : Number.NaN)),
  keys: (v) => (isPlainObject(v) ? Object.keys(v) : []),
  values: (v) => (isPlainObject(v) ? Object.values(v) : []),
};

function createEngine() {
  const engine = new jexlModule.Jexl();
  const grammar = engine._grammar;
  // Tables without a prototype: `constructor(…)` or `x | valueOf` name nothing.
  grammar.functions = Object.assign(Object.create(null), {
    [GET]: (subject: unknown, key: unknown) => ownProperty(subject, key),
    // `a[expr]`: a boolean keeps or drops the subject (jexl's filter semantics), anything else is a key.
    [INDEX]: (subject: unknown, key: unknown) => (typeof key === 'boolean' ? (key ? subject : undefined) : ownProperty(subject, key)),
  });
  grammar.transforms = Object.assign(Object.create(null), FILTERS);
  engine.addBinaryOp('==', 20, (a, b) => jsonEquals(a, b));
  engine.addBinaryOp('!=', 20, (a, b) => !jsonEquals(a, b));
  engine.addBinaryOp('in', 20, (a, b) => contains(b, a));
  // Python/Jinja precedence: `or` binds looser than `and`, `not` looser than comparisons.
  engine.addBinaryOp('and', 10, (a, b) => (isTruthy(a) ? b : a));
  engine.addBinaryOp('&&', 10, (a, b) => (isTruthy(a) ? b : a));
  engine.addBinaryOp('or', 5, (a, b) => (isTruthy(a) ? a : b));
  engine.addBinaryOp('||', 5, (a, b) => (isTruthy(a) ? a : b));
  engine.addUnaryOp('not', (v) => !isTruthy(v));
  engine.addUnaryOp('!', (v) => !isTruthy(v));
  grammar.elements.not.precedence = 15;
  grammar.elements['!'].precedence = 15;
  return engine;
}

const engine = createEngine();

/**
 * Checks the tree and rewrites every member access into an own-property read. Throws
 * ExpressionError naming what is refused.
 */
function secure(node: unknown, depth = 0): unknown {
  if (depth > MAX_NESTING) throw new ExpressionError(`the expression nests deeper than ${MAX_NESTING} levels`);
  if (Array.isArray(node)) return node.map((n) => secure(n, depth + 1));
  if (!node || typeof node !== 'object') return node;
  const ast = node as JexlAst;
  switch (ast.type) {
    case 'Identifier': {
      if (refusedName(ast.value)) throw new ExpressionError(`"${String(ast.value)}" may not be used in an expression`);
      // jexl has no null literal; `null` (or `none`, as in Jinja) is one here, not a scope name.
      if (!ast.from && !ast.relative && (ast.value === 'null' || ast.value === 'none')) return { type: 'Literal', value: null };
      if (!ast.from) return ast;
      return { type: 'FunctionCall', pool: 'functions', name: GET, args: [secure(ast.from, depth + 1), { type: 'Literal', value: ast.value }] };
    }
    case 'FilterExpression':
      if (ast.relative) return { ...ast, subject: secure(ast.subject, depth + 1), expr: secure(ast.expr, depth + 1) };
      return { type: 'FunctionCall', pool: 'functions', name: INDEX, args: [secure(ast.subject, depth + 1), secure(ast.expr, depth + 1)] };
    case 'FunctionCall':
      if (ast.pool === 'functions') throw new ExpressionError(`"${String(ast.name)}" is not a function of the expression language`);
      if (typeof ast.name !== 'string' || !Object.prototype.hasOwnProperty.call(FILTERS, ast.name)) {
        throw new ExpressionError(`"${String(ast.name)}" is not a filter (filters: ${Object.keys(FILTERS).join(', ')})`);
      }
      return { ...ast, args: secure(ast.args ?? [], depth + 1) };
    case 'ObjectLiteral': {
      const value = ast.value as Record<string, unknown>;
      const out = Object.create(null) as Record<string, unknown>;
      for (const [k, v] of Object.entries(value)) {
        if (refusedName(k)) throw new ExpressionError(`"${k}" may not be used as a key`);
        out[k] = secure(v, depth + 1);
      }
      return { ...ast, value: out };
    }
    default: {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(ast)) out[k] = typeof v === 'object' && v !== null ? secure(v, depth + 1) : v;
      return out;
    }
  }
}

export interface CompiledExpression {
  readonly source: string;
  evaluate(scope: ExpressionScope): unknown;
}

/** Parses and checks an expression (without `{{ }}`). Throws ExpressionError when it is not valid. */
export function compileExpression(source: string): CompiledExpression {
  if (typeof source !== 'string' || !source.trim()) throw new ExpressionError('the expression is empty');
  if (source.length > MAX_EXPRESSION_LENGTH) throw new ExpressionError(`an expression may have at most ${MAX_EXPRESSION_LENGTH} characters`);
  let compiled: JexlExpression;
  try {
    compiled = engine.compile(source);
    compiled._ast = secure(compiled._getAst()) as JexlAst;
  } catch (err) {
    if (err instanceof ExpressionError) throw err;
    throw new ExpressionError(`the expression does not parse: ${(err as Error).message}`);
  }
  return {
    source,
    evaluate(scope: ExpressionScope): unknown {
      const context = Object.assign(Object.create(null), scope) as Record<string, unknown>;
      let value: unknown;
      try {
        value = compiled.evalSync(context);
      } catch (err) {
        throw new ExpressionError(`the expression failed: ${(err as Error).message}`);
      }
      return typeof value === 'function' || typeof value === 'symbol' ? undefined : value;
    },
  };
}

/** Why an expression (without `{{ }}`) is not valid, or undefined when it is. */
export function expressionProblem(source: string): string | undefined {
  try {
    compileExpression(source);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

const PLACEHOLDER = /\{\{(.*?)\}\}/gs;

/** The expression of a text that is exactly one `{{ … }}` (whitespace around allowed), else undefined. */
export function wholeExpression(text: string): string | undefined {
  const m = /^\s*\{\{(.*?)\}\}\s*$/s.exec(text);
  return m && !m[1].includes('{{') ? m[1].trim() : undefined;
}

/** The expressions of every `{{ … }}` in a text. */
export function templateExpressions(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1].trim());
}

/**
 * Renders a template: a text that is one whole `{{ expr }}` answers the value with its type;
 * otherwise each placeholder is replaced by its value as text (null and undefined as '').
 */
export function renderTemplate(text: string, scope: ExpressionScope): unknown {
  const whole = wholeExpression(text);
  if (whole !== undefined) return compileExpression(whole).evaluate(scope);
  return text.replace(PLACEHOLDER, (_m, expr: string) => toText(compileExpression(expr.trim()).evaluate(scope)));
}

/** Evaluates a condition written as `{{ expr }}` or as a bare expression, to true or false. */
export function evaluateCondition(text: string, scope: ExpressionScope): boolean {
  return isTruthy(compileExpression(wholeExpression(text) ?? text).evaluate(scope));
}
