import { WHEN_SUCCEEDED, type WorkflowDefinition, type WorkflowEdge, type WorkflowGraph } from './workflow-model';

/**
 * The task graph of a definition, for the UI (`GET /executions/{id}/workflow`) and the engine
 * (start tasks, join counts). Edges keep the definition's order, so a drawing is stable.
 * Names that are not tasks are left out: a definition that has them is refused by validation.
 */
export function workflowGraph(definition: WorkflowDefinition): WorkflowGraph {
  const nodes = definition.tasks.map((t) => t.name);
  const known = new Set(nodes);
  const edges: WorkflowEdge[] = [];
  const sources = new Map<string, Set<string>>(nodes.map((n) => [n, new Set()]));
  const reached = new Set<string>();

  for (const task of definition.tasks) {
    for (const transition of task.next) {
      for (const to of transition.do) {
        if (!known.has(to)) continue;
        edges.push({ from: task.name, to, when: transition.when, kind: 'transition' });
        sources.get(to)!.add(task.name);
        // A task that only leads back to itself (a polling loop) is not started by it.
        if (to !== task.name) reached.add(to);
      }
    }
    for (const dep of task.dependsOn) {
      if (!known.has(dep)) continue;
      // `depends_on` means "after all of these succeeded": drawn as a success edge.
      edges.push({ from: dep, to: task.name, when: WHEN_SUCCEEDED, kind: 'depends_on' });
      if (dep !== task.name) reached.add(task.name);
    }
  }

  return {
    nodes,
    edges,
    startTasks: nodes.filter((n) => !reached.has(n)),
    // Distinct source tasks, not transitions: a task with a success and a failure branch to the
    // same target sends at most one of them per run of the task, so it counts once.
    inboundTransitions: Object.fromEntries(nodes.map((n) => [n, sources.get(n)!.size])),
  };
}
