import type { JsonSchemaObject } from '@attune/contracts';
import { validateWorkflowDefinition, type WorkflowDefinition, type WorkflowProblem } from '@attune/workflows';
import { type FieldError, jsonSchemaProblem } from './action-definition';

/**
 * A workflow action's definition checked as a whole: the workflow YAML (through
 * @attune/workflows), its parameter schema, and which action refs its tasks run. Shared by the
 * pack reader (field names prefixed by the workflow file) and the api's `/api/v1/workflows`
 * (prefixed by `definition.`), so both name a problem the same way: `<prefix>tasks.<task>.<field>`.
 */
export interface CheckedWorkflow {
  /** The normalized definition; present only when `errors` is empty. */
  definition?: WorkflowDefinition;
  errors: FieldError[];
  /** Every task's action ref with the field that names it, for the caller's existence check. */
  actionRefs: WorkflowActionRef[];
}

export interface WorkflowActionRef {
  ref: string;
  task: string;
  field: string;
}

/** `tasks.<task>.<field>` (or the top-level field) after `prefix`. */
export function workflowProblemField(problem: Pick<WorkflowProblem, 'task' | 'field'>, prefix: string): string {
  return `${prefix}${problem.task !== undefined ? `tasks.${problem.task}.` : ''}${problem.field}`;
}

export function checkWorkflowDefinition(raw: unknown, prefix: string): CheckedWorkflow {
  const { definition, problems } = validateWorkflowDefinition(raw);
  const errors = problems.map((p) => ({ field: workflowProblemField(p, prefix), message: p.message }));
  if (definition.paramSchema) {
    const problem = jsonSchemaProblem(definition.paramSchema);
    const key = raw && typeof raw === 'object' && 'param_schema' in raw ? 'param_schema' : 'parameters';
    if (problem) errors.push({ field: `${prefix}${key}`, message: `is not a valid JSON Schema: ${problem}` });
  }
  const actionRefs = definition.tasks
    .filter((t) => t.action !== '')
    .map((t) => ({ ref: t.action, task: t.name, field: workflowProblemField({ task: t.name, field: 'action' }, prefix) }));
  return errors.length ? { errors, actionRefs } : { definition, errors, actionRefs };
}

/**
 * Problems for the refs that name no action. `known` answers, among the refs asked, those that
 * exist; the caller decides where to look (an upload's own actions, then the registry).
 */
export async function unknownActionErrors(
  refs: WorkflowActionRef[],
  known: (refs: string[]) => Promise<ReadonlySet<string>> | ReadonlySet<string>,
): Promise<FieldError[]> {
  if (!refs.length) return [];
  const found = await known([...new Set(refs.map((r) => r.ref))]);
  return refs
    .filter((r) => !found.has(r.ref))
    .map((r) => ({ field: r.field, message: `"${r.ref}" is not an action or workflow${r.ref.includes('.') ? ` (no such action in pack "${r.ref.split('.')[0]}")` : ''}` }));
}

/** The parameter schema a workflow runs with: the action's own when it declares one, else the definition's. */
export function workflowParamSchema(declared: JsonSchemaObject | undefined, definition: WorkflowDefinition): JsonSchemaObject {
  return declared ?? definition.paramSchema ?? { type: 'object', properties: {} };
}
