import { type Execution, isTerminal, type WorkflowGraph, type WorkflowNode, type WorkflowTaskRun } from '@attune/api-client';
import type { CliContext } from '../cli-context';
import { CliError, ExitCode } from '../errors/exit-codes';
import { formatDuration } from '../output/format';
import { getExecution, pollUntil, summaryLine } from './execution-view';

/** The run's tree, with its sub-workflows' trees under the children that run them. */
export interface WorkflowTree {
  view: WorkflowGraph;
  /** Sub-workflow views by child execution id. */
  nested: Map<number, WorkflowTree>;
}

/** Deeper sub-workflows are shown as a line with their id (`attune execution tree <id>` opens them). */
export const MAX_TREE_DEPTH = 5;

export function getWorkflowView(ctx: CliContext, id: number): Promise<WorkflowGraph> {
  return ctx.api.get<WorkflowGraph>(`/api/v1/executions/${id}/workflow`);
}

/** The view of a run and, recursively, of its sub-workflows (a 404 below the top means "not started yet"). */
export async function loadWorkflowTree(ctx: CliContext, id: number, depth = 0): Promise<WorkflowTree> {
  const view = await getWorkflowView(ctx, id);
  const nested = new Map<number, WorkflowTree>();
  if (depth + 1 < MAX_TREE_DEPTH) {
    for (const run of view.nodes.flatMap((n) => n.runs)) {
      if (!run.workflow || run.execution === null) continue;
      try {
        nested.set(run.execution, await loadWorkflowTree(ctx, run.execution, depth + 1));
      } catch (err) {
        if (!(err instanceof CliError && err.exitCode === ExitCode.NotFound)) throw err;
      }
    }
  }
  return { view, nested };
}

/** The tree for --json: each view, sub-workflows under `sub_workflows` by child execution id. */
export function treeJson(tree: WorkflowTree): unknown {
  return { ...tree.view, sub_workflows: Object.fromEntries([...tree.nested].map(([id, sub]) => [id, treeJson(sub)])) };
}

function span(start: string | null, end: string | null, now: number): string {
  if (!start) return '';
  const ms = (end ? Date.parse(end) : now) - Date.parse(start);
  return ms >= 0 ? formatDuration(ms) + (end ? '' : '…') : '';
}

const words = (...parts: Array<string | false | null | undefined>) => parts.filter(Boolean).join('  ');

function runLabel(run: WorkflowTaskRun, node: WorkflowNode): string {
  const parts: string[] = [];
  if (run.item_index !== null) parts.push(`[${run.item_index}]`);
  if (run.attempt > 1 || node.runs.some((r) => r.item_index === run.item_index && r.attempt > 1)) parts.push(`attempt ${run.attempt}`);
  return parts.join(' ');
}

/**
 * A run as a tree, one task a line with its status, duration and child ids; tasks with several
 * children (items, retries) list them below, and a sub-workflow's tasks hang under its child.
 *
 *   Execution 42  examples.sequential  completed  1.2s
 *   ├─ compose  completed  0.3s  #43
 *   └─ ping  completed  2.1s  items 20/20
 *      ├─ [0]  #44  completed  0.3s
 */
export function renderWorkflowTree(tree: WorkflowTree, top: { id: number; status: string; started_at: string | null; finished_at?: string | null }, now = Date.now()): string {
  const lines = [words(`Execution ${top.id}`, tree.view.definition_ref, top.status, span(top.started_at, top.finished_at ?? null, now))];
  if (tree.view.error) lines.push(`  error: ${tree.view.error}`);
  renderNodes(tree, '', lines, now);
  return lines.join('\n') + '\n';
}

function renderNodes(tree: WorkflowTree, prefix: string, lines: string[], now: number): void {
  const nodes = tree.view.nodes;
  nodes.forEach((node, i) => {
    const last = i === nodes.length - 1;
    const branch = prefix + (last ? '└─ ' : '├─ ');
    const below = prefix + (last ? '   ' : '│  ');
    const single = node.runs.length === 1 && node.runs[0].item_index === null ? node.runs[0] : null;
    lines.push(
      words(
        branch + node.task,
        node.status,
        span(node.started_at, node.finished_at, now),
        single?.execution ? `#${single.execution}` : null,
        node.items && `items ${node.items.done}/${node.items.total}`,
        node.runs.length === 0 && node.status === 'pending' && `(${node.action})`,
      ),
    );
    if (single) {
      const sub = single.execution !== null ? tree.nested.get(single.execution) : undefined;
      if (sub) renderNodes(sub, below, lines, now);
      return;
    }
    node.runs.forEach((run, j) => {
      const lastRun = j === node.runs.length - 1;
      lines.push(
        words(
          below + (lastRun ? '└─ ' : '├─ ') + (runLabel(run, node) || 'run'),
          run.execution ? `#${run.execution}` : '(waiting)',
          run.status,
          span(run.started_at, run.finished_at, now),
        ),
      );
      const sub = run.execution !== null ? tree.nested.get(run.execution) : undefined;
      if (sub) renderNodes(sub, below + (lastRun ? '   ' : '│  '), lines, now);
    });
  });
}

/** A task run that has ended, as one line for `run --wait`. */
export function taskEndLine(node: WorkflowNode, run: WorkflowTaskRun): string {
  const ok = run.status === 'completed';
  const label = runLabel(run, node);
  return words(`${ok ? '✓' : '✗'} ${node.task}${label ? ' ' + label : ''}`, run.execution ? `#${run.execution}` : null, run.status, span(run.started_at, run.finished_at, Date.now())) + '\n';
}

/** The task runs of a view that have ended, in the order they ended, keyed so each is reported once. */
export function endedRuns(view: WorkflowGraph): Array<{ key: string; node: WorkflowNode; run: WorkflowTaskRun }> {
  return view.nodes
    .flatMap((node) =>
      node.runs.filter((run) => isTerminal(run.status)).map((run) => ({ key: `${node.task}/${run.item_index ?? '-'}/${run.attempt}`, node, run })),
    )
    .sort((a, b) => Date.parse(a.run.finished_at ?? '') - Date.parse(b.run.finished_at ?? '') || 0);
}

/**
 * Polls a workflow run's view until the parent is terminal, calling `onTaskEnd` once for each
 * task run as it ends (in the order they ended), and answers the parent as it ended. Brief
 * outages are ridden out as waitForTerminal does.
 */
export function followWorkflow(ctx: CliContext, id: number, onTaskEnd: (line: string) => void): Promise<Execution> {
  const reported = new Set<string>();
  return pollUntil(async () => {
    const view = await getWorkflowView(ctx, id);
    for (const { key, node, run } of endedRuns(view)) {
      if (reported.has(key)) continue;
      reported.add(key);
      onTaskEnd(taskEndLine(node, run));
    }
    return isTerminal(view.status) ? getExecution(ctx, id) : undefined;
  });
}

/** How a workflow run ended: the status line, then its output (output_map) and any error. */
export function renderWorkflowResult(e: Execution): string {
  const result = (e.result ?? {}) as { output?: unknown; error?: string };
  let text = summaryLine(e);
  if (result.output !== undefined) text += `Output:\n${JSON.stringify(result.output, null, 2).replace(/^/gm, '  ')}\n`;
  return text;
}
