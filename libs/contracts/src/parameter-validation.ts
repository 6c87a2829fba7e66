import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { JsonSchemaObject } from './action';
import { DomainError } from './error-codes';
import { linearRegExpEngine } from './linear-regex';

// ajv-formats is CommonJS with a default export; bundlers and jest disagree on where it lands.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

export interface ParameterProblem {
  field: string;
  message: string;
  /** The JSON Schema keyword that failed (`required`, `type`, `additionalProperties`, …). */
  keyword: string;
}

export interface ValidateOptions {
  /** Identifies one version of the schema (e.g. `action:<id>:<updated>`) for the compile cache. */
  cacheKey?: string;
  /** How an unknown key is described: "is not a parameter of this action" by default. */
  unknownKeyMessage?: string;
  /**
   * Refuse top-level keys the schema does not declare, unless the schema itself sets
   * `additionalProperties` (then it decides). Action parameters are checked this way: an
   * undeclared parameter is a typo (`mesage=hi`) or an attempt to reach the process's environment.
   */
  rejectUndeclared?: boolean;
}

export type ValidationOutcome = { ok: true; value: Record<string, unknown> } | { ok: false; problems: ParameterProblem[] };

const CACHE_LIMIT = 1000;

/**
 * Checks parameters against a JSON Schema (an action's `param_schema`, a trigger's) and fills in
 * defaults, never touching the caller's object. Shared by the api (requests, rules) and the
 * executor (parameters rendered from an event), so both give the same verdict and messages.
 */
export class ParameterSchemaValidator {
  // `pattern`s run on RE2 (linear time): the data is user input, the pattern a user's.
  private readonly ajv = addFormats(
    new Ajv({ allErrors: true, useDefaults: true, strict: false, coerceTypes: false, code: { regExp: linearRegExpEngine } }),
  );
  private readonly cache = new Map<string, ValidateFunction>();

  check(schema: JsonSchemaObject, parameters: Record<string, unknown>, opts: ValidateOptions = {}): ValidationOutcome {
    let validate: ValidateFunction;
    const closed = opts.rejectUndeclared === true && schema.additionalProperties === undefined;
    try {
      validate = closed
        ? this.compiled({ ...schema, additionalProperties: false }, opts.cacheKey && `${opts.cacheKey}:closed`)
        : this.compiled(schema, opts.cacheKey);
    } catch (err) {
      return { ok: false, problems: [{ field: '(schema)', message: `the schema is invalid: ${(err as Error).message}`, keyword: 'schema' }] };
    }
    const value = structuredClone(parameters);
    if (validate(value)) return { ok: true, value };
    const unknownKey = opts.unknownKeyMessage ?? 'is not a parameter of this action';
    return { ok: false, problems: (validate.errors ?? []).map((e) => describe(e, unknownKey)) };
  }

  /**
   * Like check(), throwing DomainError VALIDATION_ERROR with `details: [{field, message}]`.
   * `subject` names what was checked, e.g. "parameters do not match the schema of core.echo".
   */
  validate(schema: JsonSchemaObject, parameters: Record<string, unknown>, subject: string, opts: ValidateOptions = {}): Record<string, unknown> {
    const outcome = this.check(schema, parameters, opts);
    if (outcome.ok) return outcome.value;
    throw new DomainError(
      'VALIDATION_ERROR',
      subject,
      outcome.problems.map(({ field, message }) => ({ field, message })),
    );
  }

  private compiled(schema: JsonSchemaObject, cacheKey?: string): ValidateFunction {
    const key = cacheKey ?? `schema:${JSON.stringify(schema)}`;
    let fn = this.cache.get(key);
    if (!fn) {
      fn = this.ajv.compile(schema);
      if (this.cache.size >= CACHE_LIMIT) {
        this.cache.clear();
        // Compiled schemas are also kept inside ajv by content; drop them with the cache.
        this.ajv.removeSchema();
      }
      this.cache.set(key, fn);
    }
    return fn;
  }
}

function describe(e: ErrorObject, unknownKey: string): ParameterProblem {
  const path = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (e.keyword === 'required') {
    const missing = (e.params as { missingProperty: string }).missingProperty;
    return { field: path ? `${path}.${missing}` : missing, message: 'is required', keyword: e.keyword };
  }
  if (e.keyword === 'additionalProperties') {
    const extra = (e.params as { additionalProperty: string }).additionalProperty;
    return { field: path ? `${path}.${extra}` : extra, message: unknownKey, keyword: e.keyword };
  }
  return { field: path || '(parameters)', message: e.message ?? 'is invalid', keyword: e.keyword };
}
