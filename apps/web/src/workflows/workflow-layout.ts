import { Graph, layout } from '@dagrejs/dagre';
import type { WorkflowGraph, WorkflowNode } from '@attune/api-client';

export const NODE_WIDTH = 190;
export const NODE_HEIGHT = 58;

export interface PlacedNode {
  id: string;
  task: WorkflowNode;
  /** Top-left corner, as React Flow places nodes. */
  x: number;
  y: number;
}
export interface PlacedEdge {
  id: string;
  from: string;
  to: string;
  label?: string;
}

/** How a task's status is drawn: the execution badge tones, plus `pending` for a task not started. */
export function nodeTone(status: string): 'ok' | 'bad' | 'running' | 'pending' | 'warn' | 'muted' {
  switch (status) {
    case 'completed':
    case 'succeeded':
      return 'ok';
    case 'failed':
    case 'timeout':
    case 'timed_out':
    case 'abandoned':
      return 'bad';
    case 'running':
      return 'running';
    case 'canceling':
      return 'warn';
    case 'cancelled':
    case 'skipped':
      return 'muted';
    default:
      return 'pending';
  }
}

/** "succeeded()" and "{{ succeeded() }}" read as "on success"; other guards are shown as written, shortened. */
export function edgeLabel(when: string | null | undefined): string | undefined {
  if (!when) return undefined;
  const bare = when.replace(/^\s*\{\{\s*|\s*\}\}\s*$/g, '').trim();
  const named: Record<string, string> = { 'succeeded()': 'on success', 'failed()': 'on failure', 'timed_out()': 'on timeout', true: 'always' };
  const label = named[bare] ?? bare;
  return label.length > 28 ? `${label.slice(0, 27)}…` : label;
}

/**
 * Places a workflow's tasks top to bottom with dagre (ranks follow the edges), so what runs first
 * is on top. Edges that name an unknown task are left out rather than drawn to nowhere.
 */
export function layoutWorkflow(graph: Pick<WorkflowGraph, 'nodes' | 'edges'>): { nodes: PlacedNode[]; edges: PlacedEdge[]; width: number; height: number } {
  const g = new Graph({ multigraph: true });
  g.setGraph({ rankdir: 'TB', nodesep: 28, ranksep: 48, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  const known = new Set(graph.nodes.map((n) => n.task));
  for (const n of graph.nodes) g.setNode(n.task, { width: NODE_WIDTH, height: NODE_HEIGHT });
  const edges: PlacedEdge[] = graph.edges
    .filter((e) => known.has(e.from) && known.has(e.to))
    .map((e, i) => ({ id: `${e.from}->${e.to}#${i}`, from: e.from, to: e.to, label: edgeLabel(e.when) }));
  for (const e of edges) g.setEdge(e.from, e.to, {}, e.id);
  layout(g);
  const nodes = graph.nodes.map((task) => {
    const p = g.node(task.task) as { x: number; y: number };
    return { id: task.task, task, x: p.x - NODE_WIDTH / 2, y: p.y - NODE_HEIGHT / 2 };
  });
  const size = g.graph() as { width?: number; height?: number };
  return { nodes, edges, width: size.width ?? 0, height: size.height ?? 0 };
}
