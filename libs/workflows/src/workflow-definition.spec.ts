import { parse } from 'yaml';
import { CI_CD, CLEANUP, FAN_OUT, POLL_UNTIL_READY, RETRYING, SEQUENTIAL } from '../test/workflow-examples';
import { artifactRetentionPolicy } from './artifact-retention';
import { parseWorkflowDefinition, validateWorkflowDefinition, workflowActionRefs } from './workflow-definition';
import { compileWorkflowExpression, workflowFunctionScope } from './workflow-expressions';
import { WHEN_FAILED, WHEN_SUCCEEDED, WHEN_TIMED_OUT, type WorkflowProblem } from './workflow-model';

/** Validates YAML text as the api will (after parsing the YAML into an object). */
function validate(yamlText: string) {
  return validateWorkflowDefinition(parse(yamlText));
}

function problemsOf(yamlText: string): WorkflowProblem[] {
  return validate(yamlText).problems;
}

/** The normalized model of YAML text that must be valid. */
function validDefinition(yamlText: string) {
  const { definition, problems } = validate(yamlText);
  expect(problems).toEqual([]);
  return definition;
}

describe('parseWorkflowDefinition: the normalized model', () => {
  it('reads a sequential workflow with publish, shorthands and output_map', () => {
    const definition = validDefinition(SEQUENTIAL);
    expect(definition.paramSchema).toEqual({ type: 'object', properties: { name: { type: 'string' } }, required: ['name'] });
    expect(definition.vars).toEqual({ greeting: null });
    expect(definition.cancellationPolicy).toBe('allow_finish');
    expect(definition.timeout).toBeNull();
    expect(definition.config).toEqual({ artifactRetention: null, verifyChecksums: true, artifactCompression: false });
    expect(definition.metadata).toEqual({ version: '1.0.0' });
    const [compose, shout, done] = definition.tasks;
    expect(compose.next).toEqual([{ when: WHEN_SUCCEEDED, publish: [{ name: 'greeting', value: '{{ result().stdout | trim }}' }], do: ['shout'] }]);
    expect(shout.next).toEqual([{ when: WHEN_SUCCEEDED, publish: [], do: ['done'] }]);
    expect(done).toEqual({
      name: 'done',
      action: 'core.noop',
      input: {},
      when: null,
      dependsOn: [],
      next: [],
      join: null,
      withItems: null,
      concurrency: 1,
      retry: null,
      timeout: null,
      artifacts: [],
      consumes: [],
    });
    expect(definition.outputMap).toEqual({ greeting: '{{ vars.greeting }}', loud: '{{ task.shout.result.stdout }}' });
  });

  it('reads a with_items fan-out of 20 with concurrency 5 and a join', () => {
    const definition = validDefinition(FAN_OUT);
    expect((definition.paramSchema!.properties as any).hosts.default).toHaveLength(20);
    const ping = definition.tasks.find((t) => t.name === 'ping')!;
    expect(ping.withItems).toBe('{{ parameters.hosts }}');
    expect(ping.concurrency).toBe(5);
    expect(definition.tasks.find((t) => t.name === 'summarize')!.join).toBe('all');
    expect(definition.tasks[0].next).toEqual([{ when: null, publish: [], do: ['ping', 'audit'] }]);
  });

  it('reads a failure path to a cleanup task and the workflow-level settings', () => {
    const definition = validDefinition(CLEANUP);
    expect(definition.tasks[0].next).toEqual([
      { when: WHEN_SUCCEEDED, publish: [], do: ['notify'] },
      { when: WHEN_FAILED, publish: [], do: ['cleanup'] },
    ]);
    expect(definition.cancellationPolicy).toBe('cancel_running');
    expect(definition.timeout).toBe(600);
  });

  it('reads a retrying task with its timeout and on_complete as an unconditional transition', () => {
    const definition = validDefinition(RETRYING);
    expect(definition.tasks[0].retry).toEqual({ count: 2, delay: 1, backoff: 'exponential', maxDelay: 10 });
    expect(definition.tasks[0].timeout).toBe(30);
    expect(definition.tasks[0].next).toEqual([{ when: null, publish: [], do: ['report'] }]);
  });

  it('defaults a retry to a constant delay of 0 and no cap', () => {
    const { definition } = parseWorkflowDefinition({ tasks: [{ name: 'a', action: 'core.noop', retry: { count: 3 } }] });
    expect(definition.tasks[0].retry).toEqual({ count: 3, delay: 0, backoff: 'constant', maxDelay: null });
  });

  it("reads the seed's CI/CD pipeline with depends_on, artifacts and consumes", () => {
    const definition = validDefinition(CI_CD);
    expect(definition.timeout).toBe(1800);
    expect(definition.config).toEqual({ artifactRetention: '30d', verifyChecksums: true, artifactCompression: false });
    const [build, test, deploy] = definition.tasks;
    expect(build.artifacts).toEqual(['app.bin']);
    expect(test.dependsOn).toEqual(['build']);
    expect(test.consumes).toEqual(['app.bin']);
    expect(test.artifacts).toEqual([{ path: 'test-report.xml', name: 'test-report', type: 'file_text', required: false, when: 'always' }]);
    expect(deploy.dependsOn).toEqual(['test']);
    expect(deploy.consumes).toEqual(['app.bin', 'test.test-report']);
    expect(definition.metadata).toEqual({ description: 'Complete CI/CD pipeline with artifacts', version: '1.0.0' });
  });

  // The first task's transitions, as the engine will follow them.
  it.each([
    {
      title: 'normalizes every shorthand into next, in order, with the right when',
      yaml: `
tasks:
  - name: main
    action: core.noop
    publish:
      - started: true
    next:
      - do: audit
    on_success: [ok1, ok2]
    on_failure: bad
    on_complete: [audit]
    on_timeout: slow
    decision:
      - when: "{{ result().code == 2 }}"
        next: ok2
  - {name: ok1, action: core.noop}
  - {name: ok2, action: core.noop}
  - {name: bad, action: core.noop}
  - {name: audit, action: core.noop}
  - {name: slow, action: core.noop}
`,
      next: [
        { when: WHEN_SUCCEEDED, publish: [{ name: 'started', value: true }], do: [] },
        { when: null, publish: [], do: ['audit'] },
        { when: WHEN_SUCCEEDED, publish: [], do: ['ok1', 'ok2'] },
        { when: WHEN_FAILED, publish: [], do: ['bad'] },
        { when: null, publish: [], do: ['audit'] },
        { when: WHEN_TIMED_OUT, publish: [], do: ['slow'] },
        { when: '{{ result().code == 2 }}', publish: [], do: ['ok2'] },
      ],
    },
    {
      title: 'accepts publish as a map, do as one name, and transition objects inside a shorthand',
      yaml: `
tasks:
  - name: a
    action: core.noop
    next:
      - publish: {x: 1, y: "{{ result().y }}"}
        do: b
    on_success:
      - when: "{{ result().count > 0 }}"
        do: b
  - {name: b, action: core.noop}
`,
      next: [
        { when: null, publish: [{ name: 'x', value: 1 }, { name: 'y', value: '{{ result().y }}' }], do: ['b'] },
        { when: '{{ succeeded() and (result().count > 0) }}', publish: [], do: ['b'] },
      ],
    },
  ])('$title', ({ yaml, next }) => {
    expect(validDefinition(yaml).tasks[0].next).toEqual(next);
  });

  it("reads Attune's own workflow files unchanged (vars as a list, metadata keys, chart metadata)", () => {
    // The shape of Attune's docs/examples and test fixtures: graph-only file, next/publish/do,
    // retry with backoff, vars as a map, plus a standalone file's descriptive keys.
    const definition = validDefinition(`
ref: deployments.deploy_app
label: "Deploy App"
version: "1.0.0"
tags: [workflow]
output:
  status: {type: string}
vars:
  - approved: false
  - deployed_regions: []
tasks:
  - name: validate
    action: deployments.validate_release
    input:
      app_name: "{{ parameters.app_name }}"
    retry: {count: 2, delay: 5, backoff: constant}
    __chart_meta__: {x: 10, y: 20}
    next:
      - when: "{{ succeeded() }}"
        publish:
          - validation_summary: "{{ result().summary }}"
        do:
          - deploy_regions
      - when: "{{ failed() }}"
        do:
          - fail_validation
  - name: deploy_regions
    action: deployments.deploy_region
    with_items: "{{ parameters.regions }}"
    concurrency: 2
    input:
      region: "{{ item }}"
      item_index: "{{ index }}"
    next:
      - when: "{{ succeeded() }}"
        publish:
          - deployed_regions: "{{ parameters.regions }}"
  - name: fail_validation
    action: core.echo
    input:
      message: "Validation failed for {{ parameters.app_name }}"
output_map:
  deployed_regions: "{{ workflow.deployed_regions }}"
  approved: "{{ workflow.approved }}"
`);
    expect(definition.vars).toEqual({ approved: false, deployed_regions: [] });
    expect(definition.metadata).toMatchObject({ ref: 'deployments.deploy_app', label: 'Deploy App', tags: ['workflow'] });
  });
});

describe('validateWorkflowDefinition: every problem, naming task and field', () => {
  // Each definition with every problem it has, exactly.
  it.each([
    {
      what: 'duplicate task names',
      yaml: 'tasks: [{name: a, action: core.noop}, {name: a, action: core.echo}]',
      problems: [{ task: 'a', field: 'name', message: 'two tasks are named "a"' }],
    },
    {
      what: 'a name in do or depends_on that is not a task',
      yaml: `
tasks:
  - name: a
    action: core.noop
    next: [{do: [b, ghost]}]
    on_failure: phantom
  - name: b
    action: core.noop
    depends_on: [a, missing]
`,
      problems: [
        { task: 'a', field: 'next[0].do[1]', message: '"ghost" is not a task of this workflow' },
        { task: 'a', field: 'on_failure', message: '"phantom" is not a task of this workflow' },
        { task: 'b', field: 'depends_on[1]', message: '"missing" is not a task of this workflow' },
      ],
    },
    {
      what: 'a cycle in depends_on with its path, once',
      yaml: `
tasks:
  - {name: start, action: core.noop}
  - {name: a, action: core.noop, depends_on: [start, c]}
  - {name: b, action: core.noop, depends_on: [a]}
  - {name: c, action: core.noop, depends_on: [b]}
  - {name: self, action: core.noop, depends_on: [self]}
`,
      problems: [
        { task: 'a', field: 'depends_on', message: 'depends_on forms a cycle: a → c → b → a' },
        { task: 'self', field: 'depends_on', message: 'depends_on forms a cycle: self → self' },
      ],
    },
    {
      what: 'no task to start with (every task is led to by another)',
      yaml: `
tasks:
  - {name: a, action: core.noop, on_success: b}
  - {name: b, action: core.noop, on_success: a}
`,
      problems: [{ field: 'tasks', message: "no task starts the workflow: every task is the target of another task's \`next\` or \`depends_on\`" }],
    },
    {
      what: 'a join that can never be met',
      yaml: `
tasks:
  - {name: a, action: core.noop, on_complete: c}
  - {name: b, action: core.noop, on_complete: c}
  - {name: c, action: core.noop, join: 3}
  - {name: lonely, action: core.noop, join: all}
`,
      problems: [
        { task: 'c', field: 'join', message: 'waits for 3 inbound transitions but only 2 task(s) lead here' },
        { task: 'lonely', field: 'join', message: 'no transition leads to this task, so there is nothing to join' },
      ],
    },
  ])('reports $what', ({ yaml, problems }) => {
    expect(problemsOf(yaml)).toEqual(problems);
  });

  it('names a shorthand, a decision and a legacy publish as written, not as normalized', () => {
    const problems = problemsOf(`
tasks:
  - name: a
    action: core.noop
    publish: [{v: "{{ result( }}"}]
    on_success: [b, ghost, {when: "{{ succeeded( }}", do: [phantom]}]
    decision: [{when: "{{ true }}", next: nowhere}]
  - {name: b, action: core.noop}
`);
    expect(problems.map((p) => [p.task, p.field])).toEqual([
      ['a', expect.stringMatching(/^publish\[0\]\.v/)],
      ['a', 'on_success[1]'],
      ['a', 'on_success[2].do[0]'],
      ['a', 'on_success[2].when'],
      ['a', 'decision[0].next'],
    ]);
  });

  it('allows a loop through transitions (ended by its condition), as Attune does', () => {
    expect(problemsOf(POLL_UNTIL_READY)).toEqual([]);
  });

  it('reports every expression that does not parse, in input, when, publish, with_items and output_map', () => {
    const problems = problemsOf(`
tasks:
  - name: a
    action: core.echo
    when: "{{ parameters.go == }}"
    with_items: "{{ parameters.list | nosuchfilter }}"
    input:
      message: "ok {{ parameters.x }} and {{ 1 + }}"
      nested: {list: ["{{ fine }}", "{{ now() }}"]}
      open: "text {{ never closed"
    next:
      - when: "{{ succeeded() and }}"
        publish:
          - v: "{{ result(). }}"
output_map:
  out: "{{ task.a.result[ }}"
`);
    expect(problems.map((p) => [p.task, p.field])).toEqual([
      ['a', 'next[0].when'],
      ['a', 'next[0].publish[0].v'],
      ['a', 'when'],
      ['a', 'with_items'],
      ['a', 'input.message'],
      ['a', 'input.nested.list[1]'],
      ['a', 'input.open'],
      [undefined, 'output_map.out'],
    ]);
    expect(problems.find((p) => p.field === 'input.nested.list[1]')!.message).toMatch(/"now" is not a function/);
    expect(problems.find((p) => p.field === 'with_items')!.message).toMatch(/"nosuchfilter" is not a filter/);
    expect(problems.find((p) => p.field === 'input.open')!.message).toMatch(/without a matching/);
  });

  it('keeps succeeded(), failed(), timed_out() and result() to transitions', () => {
    const problems = problemsOf(`
tasks:
  - name: a
    action: core.echo
    when: "{{ succeeded() }}"
    input: {x: "{{ result().id }}"}
    next:
      - when: "{{ failed() or timed_out() }}"
        publish: [{id: "{{ result().id }}"}]
output_map:
  ok: "{{ succeeded() }}"
`);
    expect(problems.map((p) => [p.task, p.field])).toEqual([
      ['a', 'when'],
      ['a', 'input.x'],
      [undefined, 'output_map.ok'],
    ]);
    expect(problems[0].message).toMatch(/exist only in a transition/);
  });

  it('refuses an expression that reaches for code, or leaves it inert (delegating to the evaluator)', () => {
    const definitionWith = (expression: string) => ({
      tasks: [
        {
          name: 'a',
          action: 'core.echo',
          input: { message: `{{ ${expression} }}` },
          next: [{ when: `{{ ${expression} }}`, publish: [{ v: `{{ ${expression} }}` }] }],
        },
      ],
      output_map: { out: `{{ ${expression} }}` },
    });
    // Refused when saved: every place that holds it is named.
    for (const attack of ["''.constructor.constructor('return process')()", 'parameters.__proto__', 'x.toString()', 'result().constructor']) {
      const { problems } = validateWorkflowDefinition(definitionWith(attack));
      expect(problems.map((p) => p.field)).toEqual(['next[0].when', 'next[0].publish[0].v', 'input.message', 'output_map.out']);
    }
    // Computed keys cannot be refused by name before they run: they compile, and read nothing.
    for (const inert of ["parameters['constructor']", "parameters['__proto__']", "vars['constructor']['constructor']"]) {
      expect(validateWorkflowDefinition(definitionWith(inert)).problems).toEqual([]);
      const scope = { parameters: { a: 1 }, vars: {}, ...workflowFunctionScope({ status: 'succeeded', result: { id: 1 } }) };
      expect(compileWorkflowExpression(inert).evaluate(scope)).toBeUndefined();
    }
  });

  it('reports bad types and values of retry, backoff, concurrency, join and timeouts', () => {
    const problems = problemsOf(`
timeout: 0
cancellation_policy: kill_all
tasks:
  - name: a
    action: core.noop
    retry: {count: -1, delay: -2, backoff: random, max_delay: 0, jitter: true}
    timeout: -5
    join: some
    with_items: "{{ parameters.list }}"
    concurrency: 0
  - name: b
    action: core.noop
    concurrency: 3
    timeout: 1.5
    join: 0
`);
    expect(problems.map((p) => [p.task, p.field])).toEqual([
      ['a', 'join'],
      ['a', 'concurrency'],
      ['a', 'timeout'],
      ['a', 'retry.jitter'],
      ['a', 'retry.count'],
      ['a', 'retry.delay'],
      ['a', 'retry.backoff'],
      ['a', 'retry.max_delay'],
      ['b', 'join'],
      ['b', 'concurrency'],
      ['b', 'timeout'],
      [undefined, 'timeout'],
      [undefined, 'cancellation_policy'],
    ]);
    expect(problems.find((p) => p.task === 'b' && p.field === 'concurrency')!.message).toBe('applies only to a task with with_items');
    expect(problems.find((p) => p.field === 'retry.backoff')!.message).toMatch(/constant, linear, exponential/);
  });

  it('reports unknown top-level, task, transition and config keys with clear messages', () => {
    const problems = problemsOf(`
tasks:
  - name: a
    action: core.noop
    inptu: {x: 1}
    iterate_cache: {namespace: users}
    next:
      - when: "{{ succeeded() }}"
        goto: [a]
config:
  compress: true
  verify_checksums: "yes"
  artifact_retention: forever
taks: []
`);
    expect(problems.map((p) => [p.task, p.field])).toEqual([
      [undefined, 'taks'],
      ['a', 'inptu'],
      ['a', 'iterate_cache'],
      ['a', 'next[0].goto'],
      [undefined, 'config.compress'],
      [undefined, 'config.verify_checksums'],
      [undefined, 'config.artifact_retention'],
    ]);
    expect(problems[0].message).toMatch(/^unknown workflow key \(known: parameters, param_schema, vars, tasks/);
    expect(problems[1].message).toMatch(/^unknown task key/);
    expect(problems[2].message).toBe('"iterate_cache" is an Attune task feature this platform does not support');
  });

  it('reads a bare artifact_retention count as a number of versions, and maps retentions to artifact policies', () => {
    const { definition, problems } = validateWorkflowDefinition({ config: { artifact_retention: 1 }, tasks: [{ name: 'a', action: 'core.noop' }] });
    expect(problems).toEqual([]);
    expect(definition.config.artifactRetention).toEqual({ retention_policy: 'versions', retention_limit: 1 });
    expect(artifactRetentionPolicy(definition.config.artifactRetention)).toEqual({ retention_policy: 'versions', retention_limit: 1 });
    expect(artifactRetentionPolicy('30d')).toEqual({ retention_policy: 'days', retention_limit: 30 });
    expect(artifactRetentionPolicy('2w')).toEqual({ retention_policy: 'days', retention_limit: 14 });
    expect(artifactRetentionPolicy('6h')).toEqual({ retention_policy: 'hours', retention_limit: 6 });
    expect(artifactRetentionPolicy('90s')).toEqual({ retention_policy: 'minutes', retention_limit: 2 });
    expect(artifactRetentionPolicy(null)).toBeUndefined();
  });

  it('reports task shape problems: name, action, input, artifacts, consumes, publish and vars names', () => {
    const problems = validateWorkflowDefinition({
      vars: { ok: 1, __proto__x: 2 },
      tasks: [
        { action: 'core.noop' },
        { name: 'a', action: 'not a ref', input: 'x', artifacts: ['/etc/passwd', { path: '../up', type: 'zip', required: 'no' }, 7], consumes: 'app.bin' },
        { name: 'b', next: [{ publish: [{ constructor: 1 }], do: [3] }], type: 'parallel' },
      ],
    }).problems;
    expect(problems.map((p) => [p.task, p.field])).toEqual([
      [undefined, 'tasks[0].name'],
      ['a', 'action'],
      ['a', 'input'],
      ['a', 'artifacts[0]'],
      ['a', 'artifacts[1].path'],
      ['a', 'artifacts[1].type'],
      ['a', 'artifacts[1].required'],
      ['a', 'artifacts[2]'],
      ['a', 'consumes'],
      ['b', 'type'],
      ['b', 'action'],
      ['b', 'next[0].publish[0].constructor'],
      ['b', 'next[0].do[0]'],
      [undefined, 'vars.__proto__x'],
    ]);
  });

  it('refuses a definition that is not an object or has no tasks, and both parameter forms', () => {
    expect(validateWorkflowDefinition('tasks: []').problems).toEqual([{ field: 'definition', message: expect.stringMatching(/must be an object/) }]);
    expect(problemsOf('tasks: []')).toEqual([{ field: 'tasks', message: 'must be a non-empty list of tasks' }]);
    expect(problemsOf('parameters: {}\nparam_schema: {}\ntasks: [{name: a, action: core.noop}]')).toEqual([
      { field: 'param_schema', message: 'give parameters or param_schema, not both' },
    ]);
    expect(problemsOf('parameters: {x: 5}\ntasks: [{name: a, action: core.noop}]')).toEqual([
      { field: 'parameters', message: expect.stringMatching(/parameter "x" must be an object/) },
    ]);
  });
});

describe('workflowActionRefs', () => {
  it('lists every action ref once, sorted, for the caller to check against the registry', () => {
    expect(workflowActionRefs(validate(SEQUENTIAL).definition)).toEqual(['core.echo', 'core.noop']);
    expect(workflowActionRefs(validate(CI_CD).definition)).toEqual(['ci.go_build', 'ci.run_tests', 'ci.scp']);
  });
});
