import { usageError } from '../errors/exit-codes';

type JsonSchema = { type?: string | string[]; properties?: Record<string, JsonSchema> };

/** The JSON type the schema gives a parameter, if one. */
function typeOf(schema: JsonSchema | undefined, name: string): string | undefined {
  const t = schema?.properties?.[name]?.type;
  if (Array.isArray(t)) return t.find((x) => x !== 'null');
  return t;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw usageError(`${what} is not valid JSON: ${text}`);
  }
}

/** A `key=value` value as the type the action's schema declares; strings stay strings. */
export function coerceValue(name: string, raw: string, type: string | undefined): unknown {
  switch (type) {
    case 'integer':
      if (!/^-?\d+$/.test(raw.trim())) throw usageError(`parameter ${name} must be an integer, not "${raw}"`);
      return Number(raw.trim());
    case 'number': {
      const n = Number(raw.trim());
      if (raw.trim() === '' || !Number.isFinite(n)) throw usageError(`parameter ${name} must be a number, not "${raw}"`);
      return n;
    }
    case 'boolean': {
      const v = raw.trim().toLowerCase();
      if (['true', 'yes', 'y', '1', 'on'].includes(v)) return true;
      if (['false', 'no', 'n', '0', 'off'].includes(v)) return false;
      throw usageError(`parameter ${name} must be true or false, not "${raw}"`);
    }
    case 'object':
    case 'array': {
      const v = parseJson(raw, `parameter ${name}`);
      const ok = type === 'array' ? Array.isArray(v) : v !== null && typeof v === 'object' && !Array.isArray(v);
      if (!ok) throw usageError(`parameter ${name} must be a JSON ${type}`);
      return v;
    }
    case 'null':
      return null;
    default:
      return raw;
  }
}

/**
 * Parameters from `key=value` arguments (typed by the action's schema: `count=3` is a number
 * when the schema says integer, `message=3` stays the string "3") and `key:=<json>` for any
 * JSON value. They are applied over the parameter file's object, later ones winning.
 */
export function parseParams(args: string[], schema?: JsonSchema, base: Record<string, unknown> = {}): Record<string, unknown> {
  const params: Record<string, unknown> = { ...base };
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw usageError(`"${arg}" is not a parameter: write key=value (or key:=<json>)`);
    let key = arg.slice(0, eq);
    const raw = arg.slice(eq + 1);
    if (key.endsWith(':')) {
      key = key.slice(0, -1);
      if (!key) throw usageError(`"${arg}" has no parameter name`);
      params[key] = parseJson(raw, `parameter ${key}`);
      continue;
    }
    params[key] = coerceValue(key, raw, typeOf(schema, key));
  }
  return params;
}

/** The contents of `--param-file`: a JSON object. */
export function paramsFromJson(text: string, file: string): Record<string, unknown> {
  const v = parseJson(text, file);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw usageError(`${file} must hold a JSON object of parameters`);
  return v as Record<string, unknown>;
}

const DURATION = /^([1-9][0-9]{0,8})([smhdw])$/;

/** Checks an age such as 7d, 6h, 15m, 45s or 2w (what the API accepts). */
export function checkDuration(value: string): string {
  const v = value.trim();
  if (!DURATION.test(v)) throw usageError(`"${value}" is not a duration: write e.g. 45s, 15m, 6h, 7d or 2w`);
  return v;
}

/** A positive integer option (`--limit 5`). */
export function positiveInt(name: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value.trim()) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
      throw usageError(`${name} must be a positive integer, not "${value}"`);
    }
    return Number(value);
  };
}
