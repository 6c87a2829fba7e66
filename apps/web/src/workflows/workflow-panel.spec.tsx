import { describe, expect, it } from '@jest/globals';
import { renderToStaticMarkup } from 'react-dom/server';
import { MemoryRouter } from 'react-router';
import type { WorkflowGraph } from '@attune/api-client';
import { edgeLabel, layoutWorkflow, NODE_HEIGHT, nodeTone } from './workflow-layout';
import { WorkflowGraphView } from './workflow-panel';

// A fan-out run as GET /api/v1/executions/{id}/workflow answers it: prepare, then 20 items of
// `process` (5 at a time), joined by `report`; a cleanup reached only on failure.
const graph: WorkflowGraph = {
  execution: 100,
  error: null,
  definition_ref: 'examples.fan_out',
  status: 'running',
  nodes: [
    { task: 'prepare', action: 'examples.prepare', runs: [], items: null, status: 'completed', executions: [101], started_at: '2026-12-07T10:00:00.000Z', finished_at: '2026-12-07T10:00:01.500Z' },
    { task: 'process', action: 'examples.process', runs: [], items: null, status: 'running', executions: Array.from({ length: 7 }, (_, i) => 102 + i), started_at: '2026-12-07T10:00:02.000Z', finished_at: null },
    { task: 'report', action: 'examples.report', runs: [], items: null, status: 'pending', executions: [], started_at: null, finished_at: null },
    { task: 'cleanup', action: 'examples.cleanup', runs: [], items: null, status: 'pending', executions: [], started_at: null, finished_at: null },
  ],
  edges: [
    { from: 'prepare', to: 'process', when: '{{ succeeded() }}', kind: 'transition' },
    { from: 'process', to: 'report', when: null, kind: 'transition' },
    { from: 'process', to: 'cleanup', when: 'failed()', kind: 'transition' },
    { from: 'report', to: 'nowhere', when: null, kind: 'transition' },
  ],
  vars: {},
};

describe('the workflow graph layout', () => {
  it('ranks tasks top to bottom in the order of the edges, siblings side by side', () => {
    const { nodes, edges } = layoutWorkflow(graph);
    const at = Object.fromEntries(nodes.map((n) => [n.id, n]));
    expect(at.prepare.y).toBeLessThan(at.process.y);
    expect(at.process.y).toBeLessThan(at.report.y);
    expect(at.report.y).toBe(at.cleanup.y);
    expect(Math.abs(at.report.x - at.cleanup.x)).toBeGreaterThan(100);
    expect(at.process.y - at.prepare.y).toBeGreaterThanOrEqual(NODE_HEIGHT);
    // The edge to a task that does not exist is left out.
    expect(edges.map((e) => [e.from, e.to, e.label])).toEqual([
      ['prepare', 'process', 'on success'],
      ['process', 'report', undefined],
      ['process', 'cleanup', 'on failure'],
    ]);
  });

  it('names guards and tones statuses', () => {
    expect(edgeLabel("{{ task.prepare.result.count > 3 and parameters.mode == 'long-enough' }}")).toMatch(/…$/);
    expect(['completed', 'failed', 'running', 'pending', 'cancelled', 'scheduled'].map(nodeTone)).toEqual(['ok', 'bad', 'running', 'pending', 'muted', 'pending']);
  });
});

describe('the Workflow Tasks graph, rendered from a mocked answer', () => {
  it('draws every task with its status and runs, and an edge for each transition', () => {
    const html = renderToStaticMarkup(
      <MemoryRouter>
        <div style={{ width: 800, height: 500 }}>
          <WorkflowGraphView graph={graph} onOpen={() => undefined} />
        </div>
      </MemoryRouter>,
    );
    for (const n of graph.nodes) expect(html).toContain(`data-task="${n.task}" data-status="${n.status}"`);
    expect(html).toContain('data-executions="101"');
    expect(html).toContain('7 runs');
    expect(html).toContain('1.5s');
    const edges = [...html.matchAll(/aria-label="Edge from (\w+) to (\w+)"/g)].map((m) => `${m[1]}->${m[2]}`);
    expect(edges).toEqual(['prepare->process', 'process->report', 'process->cleanup']);
    // The edge into the running task moves; the others do not.
    expect(html).toMatch(/class="react-flow__edge [^"]*animated[^"]*"[^>]*data-id="prepare-&gt;process#0"/);
    expect(html).not.toMatch(/class="react-flow__edge [^"]*animated[^"]*"[^>]*data-id="process-&gt;report#1"/);
  });
});
