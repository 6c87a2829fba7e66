import { useQuery } from '@tanstack/react-query';
import { type Edge, Handle, MarkerType, type Node, type NodeProps, Position, ReactFlow } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useMemo, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { api, ApiError } from '../api/client';
import { isTerminal, type WorkflowGraph, type WorkflowNode } from '@attune/api-client';
import { ErrorState, Loading } from '../components/states';
import { formatDuration } from '../lib/format';
import { layoutWorkflow, NODE_HEIGHT, NODE_WIDTH, nodeTone } from './workflow-layout';

/** How often a running workflow's graph is read again. */
export const WORKFLOW_LIVE_MS = 1_000;

type TaskNode = Node<{ task: WorkflowNode }, 'task'>;

function TaskNodeView({ data }: NodeProps<TaskNode>) {
  const t = data.task;
  const runs = t.executions.length;
  const ms = t.started_at && t.finished_at ? Date.parse(t.finished_at) - Date.parse(t.started_at) : undefined;
  return (
    <div className={`wf-node wf-${nodeTone(t.status)}`} data-task={t.task} data-status={t.status} data-executions={t.executions.join(',')} style={{ width: NODE_WIDTH, height: NODE_HEIGHT }}>
      <Handle type="target" position={Position.Top} isConnectable={false} />
      <div className="wf-name mono" title={t.task}>
        {t.task}
      </div>
      <div className="wf-meta">
        <span className="wf-status">
          {t.status === 'running' && <span className="pulse" aria-hidden />}
          {t.status}
        </span>
        {t.items ? (
          <span title="items ended of all">
            {t.items.done}/{t.items.total} items
          </span>
        ) : (
          runs > 1 && <span>{runs} runs</span>
        )}
        {ms !== undefined && runs <= 1 && <span>{formatDuration(ms)}</span>}
      </div>
      <Handle type="source" position={Position.Bottom} isConnectable={false} />
    </div>
  );
}

const NODE_TYPES = { task: TaskNodeView };
const HANDLES = [
  { type: 'target' as const, position: Position.Top, x: NODE_WIDTH / 2, y: 0, width: 1, height: 1 },
  { type: 'source' as const, position: Position.Bottom, x: NODE_WIDTH / 2, y: NODE_HEIGHT, width: 1, height: 1 },
];

/** The graph of a workflow run as React Flow draws it; positions depend on the shape only, never on statuses. */
export function WorkflowGraphView({ graph, onOpen }: { graph: WorkflowGraph; onOpen: (task: WorkflowNode) => void }) {
  const shape = JSON.stringify([graph.nodes.map((n) => n.task), graph.edges]);
  // Laid out again only when the shape changes (a status change moves nothing).
  const placed = useMemo(() => layoutWorkflow(graph), [shape]);
  const byTask = new Map(graph.nodes.map((n) => [n.task, n]));
  const nodes: TaskNode[] = placed.nodes.map((p) => ({
    id: p.id,
    type: 'task',
    position: { x: p.x, y: p.y },
    width: NODE_WIDTH,
    height: NODE_HEIGHT,
    data: { task: byTask.get(p.id) ?? p.task },
    draggable: false,
    connectable: false,
    // Known up front (top and bottom centre), so edges are drawn before the browser measures anything.
    handles: HANDLES,
  }));
  const edges: Edge[] = placed.edges.map((e) => ({
    id: e.id,
    source: e.from,
    target: e.to,
    label: e.label,
    markerEnd: { type: MarkerType.ArrowClosed },
    animated: byTask.get(e.to)?.status === 'running',
  }));
  const height = Math.min(560, Math.max(220, placed.height + 48));
  return (
    <div className="wf-graph" style={{ height }} data-testid="workflow-graph">
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={NODE_TYPES}
        fitView
        fitViewOptions={{ padding: 0.15, maxZoom: 1 }}
        minZoom={0.2}
        nodesDraggable={false}
        nodesConnectable={false}
        elementsSelectable={false}
        panOnScroll={false}
        zoomOnScroll={false}
        preventScrolling={false}
        onNodeClick={(_, node) => onOpen((node as TaskNode).data.task)}
      />
    </div>
  );
}

/**
 * The Workflow Tasks panel of a workflow run: its task graph with live statuses (read every
 * second until the run ends). A click on a task opens its child execution; a task that ran more
 * than once (items, retries) lists its runs instead.
 */
export function WorkflowPanel({ executionId, live }: { executionId: number; live: boolean }) {
  const navigate = useNavigate();
  const [chosen, setChosen] = useState<string>();
  const graph = useQuery({
    queryKey: ['workflow', executionId],
    queryFn: () => api('/api/v1/executions/{id}/workflow', { path: { id: executionId } }).then((r) => r.data),
    // The parent's own status may turn terminal a moment before the graph's last read: poll until both have.
    refetchInterval: (q) => (live || !q.state.data || !isTerminal(q.state.data.status) ? WORKFLOW_LIVE_MS : false),
    retry: (count, err) => count < 2 && !(err instanceof ApiError && err.status < 500),
  });

  const open = (task: WorkflowNode) => {
    if (task.executions.length === 1) navigate(`/executions/${task.executions[0]}`);
    else setChosen(task.task);
  };
  const selected = graph.data?.nodes.find((n) => n.task === chosen);

  return (
    <section className="panel workflow-panel" data-testid="workflow-panel">
      <div className="panel-head">
        <h2>Workflow Tasks</h2>
        {graph.data && (
          <span className="muted small mono" title="definition">
            {graph.data.definition_ref}
          </span>
        )}
        {graph.data && <WorkflowCounts nodes={graph.data.nodes} />}
      </div>
      {graph.isPending ? (
        <Loading what="Loading the task graph" />
      ) : graph.isError ? (
        graph.error instanceof ApiError && graph.error.status === 404 ? (
          <p className="muted">The task graph is not available from this server.</p>
        ) : (
          <ErrorState error={graph.error} onRetry={() => graph.refetch()} title="The task graph could not be loaded" />
        )
      ) : graph.data.nodes.length === 0 ? (
        <p className="muted">No tasks.</p>
      ) : (
        <>
          <WorkflowGraphView graph={graph.data} onOpen={open} />
          {selected && (
            <div className="wf-runs" data-testid="workflow-runs">
              <strong className="mono">{selected.task}</strong>
              {selected.executions.length === 0 && <span className="muted">not started</span>}
              <span className="chips">
                {(selected.runs?.length ? selected.runs : selected.executions.map((execution) => ({ execution, item_index: null, attempt: 1, status: '' }))).map((r) =>
                  r.execution ? (
                    <Link key={r.execution} to={`/executions/${r.execution}`} className={`run-chip wf-${nodeTone(r.status)}`} title={r.status}>
                      #{r.execution}
                      {r.item_index !== null && <span className="muted small"> item {r.item_index}</span>}
                      {r.attempt > 1 && <span className="muted small"> attempt {r.attempt}</span>}
                    </Link>
                  ) : null,
                )}
              </span>
            </div>
          )}
        </>
      )}
    </section>
  );
}

function WorkflowCounts({ nodes }: { nodes: WorkflowNode[] }) {
  const counts = new Map<string, number>();
  for (const n of nodes) counts.set(nodeTone(n.status), (counts.get(nodeTone(n.status)) ?? 0) + 1);
  const order = ['ok', 'running', 'bad', 'pending', 'warn', 'muted'] as const;
  const words = { ok: 'done', running: 'running', bad: 'failed', pending: 'waiting', warn: 'cancelling', muted: 'skipped or cancelled' };
  return (
    <span className="wf-counts">
      {order
        .filter((t) => counts.get(t))
        .map((t) => (
          <span key={t} className={`badge badge-${t}`}>
            {counts.get(t)} {words[t]}
          </span>
        ))}
    </span>
  );
}
