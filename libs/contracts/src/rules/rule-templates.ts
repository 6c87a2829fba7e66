import { isPlainObject, lookupPath, type PathSegment, PathSyntaxError } from './object-path';
import { parseContextPath, type RuleContext } from './rule-context';

/**
 * `action_params` templates: a string value may contain `{{ path }}` placeholders, where `path`
 * is a path into the rule context (`{{ event.payload.host }}`). That is the whole language:
 * no expressions, filters, calls or operators, and nothing is ever evaluated. Rendering is one
 * pass over the rule's own `action_params`; text substituted from the event is never scanned
 * again, so a payload carrying `{{ … }}` stays literal text.
 *
 * Rendering rules (documented in the API reference):
 * - A value that is exactly one placeholder (`"{{ event.payload.count }}"`) takes the JSON value
 *   at the path with its type (number, object, …). When the path is missing, the parameter is
 *   left out (so the action's default applies, or the schema reports it as required); inside an
 *   array a missing value becomes null.
 * - A placeholder inside text (`"{{ event.payload.host }} is down"`) is replaced by the value as
 *   text: strings as they are, numbers and booleans in JSON form, objects and arrays as JSON,
 *   and a missing path or null as the empty string.
 * - Object keys are never templated.
 */

const PLACEHOLDER = /\{\{(.*?)\}\}/gs;
const WHOLE = /^\s*\{\{(.*?)\}\}\s*$/s;

export interface TemplateProblem {
  field: string;
  message: string;
}

const MISSING = Symbol('missing');

/** Checks every template in `params`; answers one problem per bad placeholder, with its field path. */
export function checkTemplates(params: unknown, field = 'action_params'): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  const visit = (value: unknown, at: string) => {
    if (typeof value === 'string') {
      for (const message of stringProblems(value)) problems.push({ field: at, message });
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => visit(v, `${at}[${i}]`));
    } else if (isPlainObject(value)) {
      for (const [k, v] of Object.entries(value)) visit(v, `${at}.${k}`);
    }
  };
  visit(params, field);
  return problems;
}

/** True when a string holds at least one placeholder. */
export function isTemplated(value: string): boolean {
  return value.includes('{{');
}

/** Field paths (relative to `params`, dot-separated) whose value holds a placeholder. */
export function templatedPaths(params: unknown): string[] {
  const found: string[] = [];
  const visit = (value: unknown, at: string) => {
    if (typeof value === 'string') {
      if (isTemplated(value)) found.push(at);
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => visit(v, at ? `${at}.${i}` : String(i)));
    } else if (isPlainObject(value)) {
      for (const [k, v] of Object.entries(value)) visit(v, at ? `${at}.${k}` : k);
    }
  };
  visit(params, '');
  return found;
}

/** Renders `params` against the context. Assumes checkTemplates() found no problem. */
export function renderTemplates<T>(params: T, context: RuleContext): T {
  const out = renderValue(params, context);
  return (out === MISSING ? undefined : out) as T;
}

function renderValue(value: unknown, context: RuleContext): unknown {
  if (typeof value === 'string') return renderString(value, context);
  if (Array.isArray(value)) {
    return value.map((v) => {
      const r = renderValue(v, context);
      return r === MISSING ? null : r;
    });
  }
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const r = renderValue(v, context);
      if (r === MISSING) continue;
      // defineProperty, not assignment: a key named "__proto__" must stay a plain key.
      Object.defineProperty(out, k, { value: r, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}

function renderString(text: string, context: RuleContext): unknown {
  if (!isTemplated(text)) return text;
  const whole = WHOLE.exec(text);
  if (whole && !whole[1].includes('{{') && !whole[1].includes('}}')) {
    const found = resolve(whole[1], context);
    return found === MISSING ? MISSING : copyJson(found);
  }
  return text.replace(PLACEHOLDER, (_match, expr: string) => asText(resolve(expr, context)));
}

function resolve(expr: string, context: RuleContext): unknown {
  let segments: PathSegment[];
  try {
    segments = parseContextPath(expr);
  } catch {
    // Unreachable for validated rules; an invalid placeholder renders as missing, never as code.
    return MISSING;
  }
  const found = lookupPath(context, segments);
  return found.found ? found.value : MISSING;
}

function asText(value: unknown): string {
  if (value === MISSING || value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  return JSON.stringify(value) ?? '';
}

function copyJson(value: unknown): unknown {
  return value === undefined ? MISSING : JSON.parse(JSON.stringify(value));
}

function stringProblems(text: string): string[] {
  if (!isTemplated(text) && !text.includes('}}')) return [];
  const problems: string[] = [];
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    const expr = m[1];
    if (expr.includes('{{')) {
      problems.push(`unclosed "{{" in "${clip(text)}"`);
    } else {
      try {
        parseContextPath(expr);
      } catch (err) {
        const reason = err instanceof PathSyntaxError ? err.message : 'invalid path';
        problems.push(`unsupported template {{${clip(expr)}}}: only paths such as {{ event.payload.host }} are allowed (${reason})`);
      }
    }
    last = (m.index ?? 0) + m[0].length;
  }
  const tail = text.slice(last);
  if (tail.includes('{{')) problems.push(`unclosed "{{" in "${clip(text)}"`);
  return problems;
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/**
 * The annotation marking a parameter whose value an action runs as shell command text
 * (`core.local`'s `cmd`). JSON Schema validators ignore it.
 */
export const COMMAND_PARAMETER_ANNOTATION = 'x-attune-command';

/**
 * Templates in a command parameter: one problem per such parameter. Rendering would put event
 * text (anyone holding a webhook key writes it) into a shell command line, where `;` or `$( )`
 * run code, so rules may not do that. Event data reaches a command safely as a parameter of an
 * action of its own, which its process receives as an environment variable (`$PARAM_NAME`).
 */
export function commandTemplateProblems(schema: { properties?: Record<string, unknown> } | null | undefined, params: Record<string, unknown>): TemplateProblem[] {
  const properties = schema?.properties ?? {};
  const problems: TemplateProblem[] = [];
  for (const [name, spec] of Object.entries(properties)) {
    if (!isPlainObject(spec) || spec[COMMAND_PARAMETER_ANNOTATION] !== true) continue;
    if (!Object.prototype.hasOwnProperty.call(params, name) || !templatedPaths(params[name]).length) continue;
    problems.push({
      field: name,
      message:
        'is run as a shell command and may not hold a template (event text would become shell code); ' +
        'pass event data as a parameter of an action that reads it from its environment instead',
    });
  }
  return problems;
}
