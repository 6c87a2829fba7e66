import type { FieldError } from '@attune/api-client';

/** The JSON Schema keywords the forms understand (an action's `param_schema`, an inquiry's `response_schema`). */
export interface JsonSchemaProperty {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  secret?: boolean;
  format?: string;
  title?: string;
}

export interface ParamSchema {
  type?: string;
  properties?: Record<string, JsonSchemaProperty>;
  required?: string[];
}

/** How a parameter is edited. `json` covers objects, arrays and anything without a simple type. */
export type FieldKind = 'string' | 'secret' | 'integer' | 'number' | 'boolean' | 'enum' | 'json';

export interface FormField {
  name: string;
  label: string;
  kind: FieldKind;
  required: boolean;
  description?: string;
  defaultValue?: unknown;
  options?: unknown[];
  min?: number;
  max?: number;
}

/** What the inputs hold: text for every kind but booleans. */
export type FormValues = Record<string, string | boolean>;

function primaryType(p: JsonSchemaProperty): string | undefined {
  if (Array.isArray(p.type)) return p.type.find((t) => t !== 'null');
  return p.type;
}

function kindOf(p: JsonSchemaProperty): FieldKind {
  if (Array.isArray(p.enum) && p.enum.length > 0) return 'enum';
  switch (primaryType(p)) {
    case 'string':
      return p.secret === true || p.format === 'password' ? 'secret' : 'string';
    case 'integer':
      return 'integer';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    default:
      return 'json';
  }
}

/** The form of an action's parameter schema (the API always answers it in JSON Schema form), required fields first. */
export function fieldsFromSchema(schema: ParamSchema | null | undefined): FormField[] {
  const properties = schema?.properties ?? {};
  const required = new Set(Array.isArray(schema?.required) ? schema.required : []);
  const fields = Object.entries(properties).map(([name, p]): FormField => ({
    name,
    label: p.title || name,
    kind: kindOf(p ?? {}),
    required: required.has(name),
    description: p?.description,
    defaultValue: p?.default,
    options: p?.enum,
    min: p?.minimum,
    max: p?.maximum,
  }));
  return [...fields.filter((f) => f.required), ...fields.filter((f) => !f.required)];
}

/** Inputs start at the schema's defaults, so what will run is what is shown. */
export function initialValues(fields: FormField[]): FormValues {
  const values: FormValues = {};
  for (const f of fields) {
    const d = f.defaultValue;
    if (f.kind === 'boolean') values[f.name] = d === true;
    else if (d === undefined || d === null) values[f.name] = '';
    else if (f.kind === 'json') values[f.name] = JSON.stringify(d, null, 2);
    else if (f.kind === 'enum') values[f.name] = JSON.stringify(d);
    else values[f.name] = String(d);
  }
  return values;
}

/** What the API shows in place of a secret parameter's value. */
export const SECRET_MASK = '********';

/**
 * Inputs for "run again": the previous parameters over the defaults. A secret field is left
 * empty (the API never returns its value, only the mask), so the mask is never sent as a value.
 */
export function presetValues(fields: FormField[], preset: Record<string, unknown>): FormValues {
  const carried = fields.map((f) => {
    if (!(f.name in preset)) return f;
    if (f.kind === 'secret' || preset[f.name] === SECRET_MASK) return { ...f, defaultValue: undefined };
    return { ...f, defaultValue: preset[f.name] };
  });
  return initialValues(carried);
}

/**
 * The parameters to send. Empty optional fields are left out (the API applies their defaults);
 * text is turned into the field's type. Input that cannot be (a word in a number field, JSON that
 * does not parse) is answered as field errors and nothing is sent; everything else, required
 * fields included, is the API's to judge, so its 422 is the single source of truth.
 */
export function toParameters(fields: FormField[], values: FormValues): { parameters: Record<string, unknown>; errors: Record<string, string> } {
  const parameters: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const f of fields) {
    const raw = values[f.name];
    if (f.kind === 'boolean') {
      parameters[f.name] = raw === true;
      continue;
    }
    const text = typeof raw === 'string' ? raw : '';
    if (text.trim() === '' && f.kind !== 'string' && f.kind !== 'secret') continue;
    if (text === '' && (f.kind === 'string' || f.kind === 'secret')) continue;
    switch (f.kind) {
      case 'integer':
      case 'number': {
        const n = Number(text.trim());
        if (!Number.isFinite(n)) errors[f.name] = 'must be a number';
        else if (f.kind === 'integer' && !Number.isInteger(n)) errors[f.name] = 'must be a whole number';
        else parameters[f.name] = n;
        break;
      }
      case 'enum':
      case 'json':
        try {
          parameters[f.name] = JSON.parse(text);
        } catch {
          errors[f.name] = f.kind === 'json' ? 'must be valid JSON' : 'pick one of the values';
        }
        break;
      default:
        parameters[f.name] = text;
    }
  }
  return { parameters, errors };
}

/**
 * The API's 422 details placed on the form: `message`, or `opts.level` for a nested value, goes
 * on its top-level field; the rest (`(parameters)`, unknown names) is shown above the form.
 */
export function placeFieldErrors(fields: FormField[], details: FieldError[]): { byField: Record<string, string>; other: string[] } {
  const names = new Set(fields.map((f) => f.name));
  const byField: Record<string, string> = {};
  const other: string[] = [];
  for (const d of details) {
    const field = d.field.replace(/^parameters\./, '');
    const top = field.split(/[.[]/)[0];
    if (names.has(top)) {
      const text = field === top ? d.message : `${field.slice(top.length + 1)}: ${d.message}`;
      byField[top] = byField[top] ? `${byField[top]}; ${text}` : text;
    } else {
      other.push(d.field && !d.field.startsWith('(') ? `${d.field}: ${d.message}` : d.message);
    }
  }
  return { byField, other };
}
