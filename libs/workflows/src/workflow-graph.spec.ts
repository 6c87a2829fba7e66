import { parse } from 'yaml';
import { CI_CD, CLEANUP, FAN_OUT, POLL_UNTIL_READY, SEQUENTIAL } from '../test/workflow-examples';
import { validateWorkflowDefinition } from './workflow-definition';
import { workflowGraph } from './workflow-graph';
import { WHEN_FAILED, WHEN_SUCCEEDED } from './workflow-model';

function graphOf(yamlText: string) {
  const { definition, problems } = validateWorkflowDefinition(parse(yamlText));
  expect(problems).toEqual([]);
  return workflowGraph(definition);
}

describe('workflowGraph', () => {
  it('draws a sequential workflow: one start task, edges with their conditions', () => {
    expect(graphOf(SEQUENTIAL)).toEqual({
      nodes: ['compose', 'shout', 'done'],
      edges: [
        { from: 'compose', to: 'shout', when: WHEN_SUCCEEDED, kind: 'transition' },
        { from: 'shout', to: 'done', when: WHEN_SUCCEEDED, kind: 'transition' },
      ],
      startTasks: ['compose'],
      inboundTransitions: { compose: 0, shout: 1, done: 1 },
    });
  });

  it('counts the inbound transitions of a join after a fan-out', () => {
    const graph = graphOf(FAN_OUT);
    expect(graph.startTasks).toEqual(['prepare']);
    expect(graph.edges).toEqual([
      { from: 'prepare', to: 'ping', when: null, kind: 'transition' },
      { from: 'prepare', to: 'audit', when: null, kind: 'transition' },
      { from: 'ping', to: 'summarize', when: WHEN_SUCCEEDED, kind: 'transition' },
      { from: 'audit', to: 'summarize', when: WHEN_SUCCEEDED, kind: 'transition' },
    ]);
    expect(graph.inboundTransitions.summarize).toBe(2);
  });

  it('keeps the failure branch to the cleanup task', () => {
    const graph = graphOf(CLEANUP);
    expect(graph.startTasks).toEqual(['deploy']);
    expect(graph.edges).toContainEqual({ from: 'deploy', to: 'cleanup', when: WHEN_FAILED, kind: 'transition' });
  });

  it('draws depends_on as success edges; the pipeline starts at build', () => {
    const graph = graphOf(CI_CD);
    expect(graph.edges).toEqual([
      { from: 'build', to: 'test', when: WHEN_SUCCEEDED, kind: 'depends_on' },
      { from: 'test', to: 'deploy', when: WHEN_SUCCEEDED, kind: 'depends_on' },
    ]);
    expect(graph.startTasks).toEqual(['build']);
    // depends_on has its own rule ("all succeeded"): it is not a transition to join.
    expect(graph.inboundTransitions).toEqual({ build: 0, test: 0, deploy: 0 });
  });

  it('starts every task nothing reaches, counts a source task once, and ignores a self-loop for starting', () => {
    const graph = graphOf(POLL_UNTIL_READY);
    expect(graph.startTasks).toEqual(['poll', 'side']);
    expect(graph.inboundTransitions).toEqual({ poll: 1, side: 0, report: 2 });
  });
});
