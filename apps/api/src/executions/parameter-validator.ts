import { DomainError, type JsonSchemaObject } from '@attune/contracts';
import type { ActionEntity } from '@attune/persistence';
import { Injectable } from '@nestjs/common';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS with a default export; bundlers and jest disagree on where it lands.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

/**
 * Checks execution parameters against the action's JSON Schema and fills in defaults.
 * Compiled validators are cached per action version (id + updated).
 */
@Injectable()
export class ParameterValidator {
  private readonly ajv = addFormats(new Ajv({ allErrors: true, useDefaults: true, strict: false, coerceTypes: false }));
  private readonly cache = new Map<string, ValidateFunction>();

  validate(action: ActionEntity, parameters: Record<string, unknown>): Record<string, unknown> {
    const validate = this.compiled(action);
    const config = structuredClone(parameters);
    if (!validate(config)) {
      throw new DomainError('VALIDATION_ERROR', `parameters do not match the schema of ${action.ref}`, (validate.errors ?? []).map(describe));
    }
    return config;
  }

  private compiled(action: ActionEntity): ValidateFunction {
    const key = `${action.id}:${new Date(action.updated).getTime()}`;
    let fn = this.cache.get(key);
    if (!fn) {
      fn = this.ajv.compile(action.paramSchema as JsonSchemaObject);
      if (this.cache.size > 1000) this.cache.clear();
      this.cache.set(key, fn);
    }
    return fn;
  }
}

function describe(e: ErrorObject): { field: string; message: string } {
  const path = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (e.keyword === 'required') {
    const missing = (e.params as { missingProperty: string }).missingProperty;
    return { field: path ? `${path}.${missing}` : missing, message: 'is required' };
  }
  if (e.keyword === 'additionalProperties') {
    const extra = (e.params as { additionalProperty: string }).additionalProperty;
    return { field: path ? `${path}.${extra}` : extra, message: 'is not a parameter of this action' };
  }
  return { field: path || '(parameters)', message: e.message ?? 'is invalid' };
}
