/**
 * Paths into rule data, such as `event.payload.items[0].name`. Conditions and `action_params`
 * templates read the event only through these paths: a path is data, never code. Lookup only
 * follows own properties of plain objects and indexes of arrays, so `constructor`, `__proto__`
 * or `toString` are found only when the payload itself carries such a key (and then they are
 * plain JSON values, never functions).
 *
 * Grammar: `segment ('.' segment | '[' digits ']' | '["' text '"]')*`, where a segment is
 * letters, digits, `_` or `-`. A digit-only segment indexes an array (`items.0` = `items[0]`).
 */
export type PathSegment = string | number;

export class PathSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PathSyntaxError';
  }
}

export const MAX_PATH_LENGTH = 256;
const MAX_SEGMENTS = 32;
const NAME = /^[A-Za-z0-9_-]+/;

/** Parses a path, throwing PathSyntaxError with a reason a person can act on. */
export function parsePath(text: string): PathSegment[] {
  if (typeof text !== 'string' || text.length === 0) throw new PathSyntaxError('a path must be a non-empty string');
  if (text.length > MAX_PATH_LENGTH) throw new PathSyntaxError(`a path may have at most ${MAX_PATH_LENGTH} characters`);
  const segments: PathSegment[] = [];
  let rest = text;
  let expectName = true;
  while (rest.length > 0) {
    if (expectName) {
      const m = NAME.exec(rest);
      if (!m) throw new PathSyntaxError(`unexpected "${rest[0]}" in path "${text}": use names such as event.payload.host`);
      segments.push(/^\d+$/.test(m[0]) ? Number(m[0]) : m[0]);
      rest = rest.slice(m[0].length);
      expectName = false;
      continue;
    }
    if (rest[0] === '.') {
      rest = rest.slice(1);
      if (rest.length === 0) throw new PathSyntaxError(`path "${text}" ends with "."`);
      expectName = true;
      continue;
    }
    if (rest[0] === '[') {
      const index = /^\[(\d{1,9})\]/.exec(rest);
      const quoted = /^\["([^"\\]*)"\]/.exec(rest) ?? /^\['([^'\\]*)'\]/.exec(rest);
      if (index) {
        segments.push(Number(index[1]));
        rest = rest.slice(index[0].length);
      } else if (quoted) {
        segments.push(quoted[1]);
        rest = rest.slice(quoted[0].length);
      } else {
        throw new PathSyntaxError(`bad brackets in path "${text}": use [0] for an index or ["key name"] for a key`);
      }
      continue;
    }
    throw new PathSyntaxError(`unexpected "${rest[0]}" in path "${text}": use names such as event.payload.host`);
  }
  if (segments.length > MAX_SEGMENTS) throw new PathSyntaxError(`a path may have at most ${MAX_SEGMENTS} parts`);
  return segments;
}

export type Lookup = { found: true; value: unknown } | { found: false };

/** Follows `segments` from `root` through own data properties and array indexes only. */
export function lookupPath(root: unknown, segments: readonly PathSegment[]): Lookup {
  let current: unknown = root;
  for (const segment of segments) {
    if (Array.isArray(current)) {
      const index = typeof segment === 'number' ? segment : Number.NaN;
      if (!Number.isInteger(index) || index < 0 || index >= current.length) return { found: false };
      current = current[index];
    } else if (isPlainObject(current)) {
      const key = String(segment);
      const descriptor = Object.getOwnPropertyDescriptor(current, key);
      // Only data properties: a getter would run code.
      if (!descriptor || !('value' in descriptor)) return { found: false };
      current = descriptor.value;
    } else {
      return { found: false };
    }
  }
  return { found: true, value: current };
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Structural equality of JSON values (key order does not matter). */
export function jsonEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') return Number.isNaN(a) && Number.isNaN(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => jsonEquals(v, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.length !== kb.length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEquals(a[k], b[k]));
  }
  return false;
}
