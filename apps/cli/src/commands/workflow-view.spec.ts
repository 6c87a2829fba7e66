import type { WorkflowGraph, WorkflowNode } from '@attune/api-client';
import { endedRuns, renderWorkflowTree, type WorkflowTree } from './workflow-view';
import { workflowBodyFromYaml } from './workflow.commands';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

function node(task: string, status: string, runs: WorkflowNode['runs'], extra: Partial<WorkflowNode> = {}): WorkflowNode {
  return {
    task,
    action: 'core.echo',
    status,
    executions: runs.map((r) => r.execution).filter((e): e is number => e !== null),
    runs,
    items: null,
    started_at: runs[0]?.started_at ?? null,
    finished_at: runs[runs.length - 1]?.finished_at ?? null,
    ...extra,
  };
}

const run = (execution: number, status: string, start: number, end: number | null, extra: Partial<WorkflowNode['runs'][number]> = {}) => ({
  execution,
  item_index: null,
  attempt: 1,
  status,
  workflow: false,
  started_at: at(start),
  finished_at: end === null ? null : at(end),
  ...extra,
});

function view(id: number, ref: string, nodes: WorkflowNode[]): WorkflowGraph {
  return { execution: id, definition_ref: ref, status: 'completed', error: null, nodes, edges: [], vars: {} };
}

describe('renderWorkflowTree', () => {
  it('draws tasks with status, duration and child ids; items, retries and sub-workflows below', () => {
    const inner: WorkflowTree = { view: view(20, 'examples.sequential', [node('compose', 'succeeded', [run(21, 'completed', 0, 100)])]), nested: new Map() };
    const tree: WorkflowTree = {
      view: view(10, 'demo.flow', [
        node('first', 'succeeded', [run(11, 'completed', 0, 1500)]),
        node('ping', 'succeeded', [run(12, 'completed', 0, 300, { item_index: 0 }), run(13, 'completed', 0, 250, { item_index: 1 })], {
          items: { total: 2, done: 2 },
          finished_at: at(300),
        }),
        node('flaky', 'succeeded', [run(14, 'failed', 0, 10), run(15, 'completed', 20, 30, { attempt: 2 })]),
        node('sub', 'succeeded', [run(20, 'completed', 0, 2000, { workflow: true })]),
        node('never', 'skipped', []),
      ]),
      nested: new Map([[20, inner]]),
    };
    const text = renderWorkflowTree(tree, { id: 10, status: 'completed', started_at: at(0), finished_at: at(4000) });
    expect(text.split('\n')).toEqual([
      'Execution 10  demo.flow  completed  4s',
      '├─ first  succeeded  1.5s  #11',
      '├─ ping  succeeded  300ms  items 2/2',
      '│  ├─ [0]  #12  completed  300ms',
      '│  └─ [1]  #13  completed  250ms',
      '├─ flaky  succeeded  30ms',
      '│  ├─ attempt 1  #14  failed  10ms',
      '│  └─ attempt 2  #15  completed  10ms',
      '├─ sub  succeeded  2s  #20',
      '│  └─ compose  succeeded  100ms  #21',
      '└─ never  skipped',
      '',
    ]);
  });

  it('lists ended task runs once each, in the order they ended', () => {
    const v = view(1, 'x.y', [
      node('a', 'succeeded', [run(2, 'completed', 0, 500)]),
      node('b', 'running', [run(3, 'completed', 0, 100, { item_index: 0 }), run(4, 'running', 0, null, { item_index: 1 })]),
    ]);
    expect(endedRuns(v).map((e) => e.key)).toEqual(['b/0/1', 'a/-/1']);
  });
});

describe('workflowBodyFromYaml', () => {
  it('takes ref, label, version, description and tags from the file, options first, the whole document as definition', () => {
    const doc = { ref: 'demo.flow', label: 'Flow', version: 2, description: 'd', tags: ['a'], tasks: [{ name: 't', action: 'core.noop' }] };
    expect(workflowBodyFromYaml(doc, { label: 'Mine' }, 'f.yaml')).toEqual({
      ref: 'demo.flow', pack_ref: 'demo', label: 'Mine', version: '2', description: 'd', tags: ['a'], definition: doc,
    });
    expect(workflowBodyFromYaml({ name: 'x', tasks: [] }, { pack: 'p' }, 'f.yaml')).toMatchObject({ ref: 'p.x', pack_ref: 'p', label: 'x', version: '1.0.0' });
    expect(() => workflowBodyFromYaml({ tasks: [] }, {}, 'f.yaml')).toThrow(/--ref/);
  });
});
