import { compileExpression, type CompiledExpression, isTruthy, templateExpressions, wholeExpression } from '@attune/contracts';

/**
 * Workflow expressions go through the platform's one evaluator (`@attune/contracts`), which
 * refuses every function call: only its filters exist. Workflows add four functions that take no
 * argument and only read the outcome of the task that just ended: `succeeded()`, `failed()`,
 * `timed_out()` and `result()`. Rather than open a function table in the shared evaluator, each
 * call is rewritten into a plain scope name before compiling (`result().id` → `_wf_result_.id`);
 * the engine puts those names in the scope when it evaluates a transition. Nothing else
 * changes, so every safety rule of the evaluator (no prototypes, no globals, no code) holds.
 * Any other call (`now()`, `uuid()`, `length(x)`) is still refused by the evaluator.
 */
export const WORKFLOW_FUNCTIONS = ['succeeded', 'failed', 'timed_out', 'result'] as const;
export type WorkflowFunction = (typeof WORKFLOW_FUNCTIONS)[number];

/** The scope name standing for a workflow function call. */
export function workflowFunctionScopeName(fn: WorkflowFunction): string {
  return `_wf_${fn}_`;
}

// Not after a name character or a dot: `x.result()` is a method call, which stays refused.
const FUNCTION_CALL = new RegExp(`(?<![\\w$.])(${WORKFLOW_FUNCTIONS.join('|')})\\s*\\(\\s*\\)`, 'g');

/** Whether an expression calls one of the workflow functions. */
export function usesWorkflowFunctions(expression: string): boolean {
  FUNCTION_CALL.lastIndex = 0;
  return FUNCTION_CALL.test(expression);
}

/** Compiles a workflow expression (without `{{ }}`); throws the evaluator's ExpressionError. */
export function compileWorkflowExpression(expression: string): CompiledExpression {
  return compileExpression(expression.replace(FUNCTION_CALL, (_m, fn: WorkflowFunction) => workflowFunctionScopeName(fn)));
}

/**
 * The scope entries for the workflow functions, given the outcome of the task that ended. The
 * engine spreads this into the scope of a transition's `when` and `publish`.
 */
export function workflowFunctionScope(outcome: { status: 'succeeded' | 'failed' | 'timed_out'; result: unknown }): Record<string, unknown> {
  return {
    [workflowFunctionScopeName('succeeded')]: outcome.status === 'succeeded',
    // A timeout is a failure too, as in Attune: `failed()` holds, and `timed_out()` tells them apart.
    [workflowFunctionScopeName('failed')]: outcome.status !== 'succeeded',
    [workflowFunctionScopeName('timed_out')]: outcome.status === 'timed_out',
    [workflowFunctionScopeName('result')]: outcome.result,
  };
}

export interface ExpressionIssue {
  /** Path under the checked value (`.message`, `[0]`), empty for the value itself. */
  path: string;
  message: string;
}

/**
 * Checks every `{{ … }}` in a text: each must compile, no `{{` may be left unclosed, and the
 * workflow functions may appear only where `functionsAllowed` (transitions).
 */
function checkTemplateText(text: string, functionsAllowed: boolean): string[] {
  if (!text.includes('{{')) return [];
  const problems: string[] = [];
  if (text.replace(/\{\{(.*?)\}\}/gs, '').includes('{{')) problems.push('has a "{{" without a matching "}}"');
  for (const expression of templateExpressions(text)) problems.push(...checkExpression(expression, functionsAllowed));
  return problems;
}

function checkExpression(expression: string, functionsAllowed: boolean): string[] {
  if (!functionsAllowed && usesWorkflowFunctions(expression)) {
    return [
      `"${expression}" calls ${WORKFLOW_FUNCTIONS.map((f) => `${f}()`).join(', ')}, which exist only in a transition (next[].when / publish)`,
    ];
  }
  try {
    compileWorkflowExpression(expression);
    return [];
  } catch (err) {
    return [`"{{ ${expression} }}": ${(err as Error).message}`];
  }
}

/** Checks every string inside a value (objects and lists walked) that holds a template. */
export function templateIssues(value: unknown, functionsAllowed: boolean, path = ''): ExpressionIssue[] {
  if (typeof value === 'string') return checkTemplateText(value, functionsAllowed).map((message) => ({ path, message }));
  if (Array.isArray(value)) return value.flatMap((v, i) => templateIssues(v, functionsAllowed, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => templateIssues(v, functionsAllowed, `${path}.${k}`));
  }
  return [];
}

/**
 * Checks a condition or a `with_items` source. As the evaluator reads them, it is either one
 * whole `{{ expr }}` or a bare expression (`succeeded() and result().ok`).
 */
export function conditionIssues(text: string, functionsAllowed: boolean): string[] {
  const whole = wholeExpression(text);
  if (whole !== undefined) return checkExpression(whole, functionsAllowed);
  if (text.includes('{{')) return ['must be one whole "{{ expression }}" or a bare expression, not text mixing both'];
  return checkExpression(text, functionsAllowed);
}

/**
 * Evaluates a transition or task condition (`{{ expr }}` or a bare expression) the way the
 * validator compiled it: workflow functions come from `workflowFunctionScope`.
 */
export function evaluateWorkflowCondition(text: string, scope: Record<string, unknown>): boolean {
  return isTruthy(compileWorkflowExpression(wholeExpression(text) ?? text).evaluate(scope));
}

/** The ExpressionScope the engine builds for a task's input, a transition or the output map. */
export type WorkflowScope = Record<string, unknown>;

const PLACEHOLDER = /\{\{(.*?)\}\}/gs;

function asText(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/**
 * Renders a value of a definition (`input`, `publish`, `output_map`, `with_items`): every string
 * holding `{{ … }}` is evaluated, objects and lists are walked. A string that is one whole
 * expression keeps the value's type; otherwise each placeholder becomes text. Throws the
 * evaluator's ExpressionError, which the engine turns into the task's (or run's) error.
 */
export function renderWorkflowValue(value: unknown, scope: WorkflowScope): unknown {
  if (typeof value === 'string') {
    if (!value.includes('{{')) return value;
    const whole = wholeExpression(value);
    if (whole !== undefined) return compileWorkflowExpression(whole).evaluate(scope);
    return value.replace(PLACEHOLDER, (_m, expr: string) => asText(compileWorkflowExpression(expr.trim()).evaluate(scope)));
  }
  if (Array.isArray(value)) return value.map((v) => renderWorkflowValue(v, scope));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = renderWorkflowValue(v, scope);
    return out;
  }
  return value;
}

/** Evaluates a `with_items` source (`{{ expr }}` or a bare expression) to the list of items. */
export function evaluateWorkflowItems(text: string, scope: WorkflowScope): unknown {
  return compileWorkflowExpression(wholeExpression(text) ?? text).evaluate(scope);
}
