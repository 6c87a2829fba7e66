import type { JsonSchemaObject } from './action';

const FLAT_KEYS = new Set(['type', 'required', 'default', 'secret', 'description', 'enum', 'items', 'minimum', 'maximum', 'format', 'pattern']);

/**
 * Accepts an action's parameter schema in either form the contract allows and answers the
 * JSON Schema form:
 * - JSON Schema: `{type: "object", properties, required}` is kept as it is;
 * - flat: `{name: {type, required?, default?, secret?}}` becomes properties with a `required` list.
 * `secret: true` stays on the property as an annotation (ajv ignores it).
 * Throws an Error describing the problem when the input is neither.
 */
export function normalizeParamSchema(input: unknown): JsonSchemaObject {
  if (input === undefined || input === null) return { type: 'object', properties: {} };
  if (typeof input !== 'object' || Array.isArray(input)) throw new Error('param_schema must be an object');
  const obj = input as Record<string, unknown>;
  if (obj.type === 'object' && (obj.properties === undefined || isPlainObject(obj.properties))) {
    if (obj.required !== undefined && !(Array.isArray(obj.required) && obj.required.every((r) => typeof r === 'string'))) {
      throw new Error('param_schema.required must be a list of parameter names');
    }
    return { properties: {}, ...obj } as JsonSchemaObject;
  }
  const properties: Record<string, Record<string, unknown>> = {};
  const required: string[] = [];
  for (const [name, spec] of Object.entries(obj)) {
    if (!isPlainObject(spec)) throw new Error(`parameter "${name}" must be an object such as {"type": "string"}`);
    const unknown = Object.keys(spec).filter((k) => !FLAT_KEYS.has(k));
    if (unknown.length && spec.type === undefined) throw new Error(`parameter "${name}" has no type`);
    const { required: isRequired, ...rest } = spec as Record<string, unknown>;
    if (isRequired === true) required.push(name);
    properties[name] = rest;
  }
  return required.length ? { type: 'object', properties, required } : { type: 'object', properties };
}

/** Names of the parameters marked `secret: true`. */
export function secretParameters(schema: JsonSchemaObject): string[] {
  return Object.entries(schema.properties ?? {})
    .filter(([, p]) => p && p.secret === true)
    .map(([name]) => name);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
