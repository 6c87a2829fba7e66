import { buildTarGz, type ApiClient, type TarEntry } from '@attune/testing';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execute, ROOT, usePlatform, waitForTerminal } from './support';

// Workflow definitions (issue #15, acceptance 7, and what surrounds the engine): /api/v1/workflows
// CRUD and filters, every bad definition refused with 422 naming the task and field (through the
// API and through a pack upload) with nothing saved, the example pack registered at startup, the
// /executions/{id}/workflow view's shape, and the CLI's workflow commands.

const RUN = randomUUID().slice(0, 8);
const SCRATCH = resolve(ROOT, 'tmp/e2e', `workflow-definitions-${RUN}`);
const CLI = join(ROOT, 'dist/apps/cli/main.js');
const PACK = `wf_${RUN}`;
const FILE = 'actions/workflows/bad.workflow.yaml';

let api: ApiClient;
let configDir: string;

const put = (path: string, body: unknown) => api.request('PUT', path, body);
const del = (path: string) => api.request('DELETE', path);

async function upload(archive: Buffer) {
  const form = new FormData();
  form.append('pack', new Blob([new Uint8Array(archive)]), 'pack.tar.gz');
  const res = await fetch(new URL('/api/v1/packs/upload', api.baseUrl), { method: 'POST', headers: { authorization: `Bearer ${api.token}` }, body: form });
  return { status: res.status, body: (await res.json()) as any };
}

function cli(args: string[], input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: SCRATCH,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: SCRATCH, ATTUNE_CONFIG_DIR: configDir, ATTUNE_PASSWORD: 'TestPass123!' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.stdin.end(input);
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
  });
}

beforeAll(() => {
  mkdirSync(SCRATCH, { recursive: true });
  configDir = join(SCRATCH, 'cli-config');
});

const ctx = usePlatform('workflow-definitions', { ATTUNE_PACK_STAGING_DIR: join(SCRATCH, 'staging'), ATTUNE_BCRYPT_ROUNDS: '10' }, { database: 'workflow_defs' });

beforeAll(async () => {
  api = ctx.api;
  // A pack of our own, created empty, for the workflows made over the API.
  expect((await api.post('/api/v1/packs', { ref: PACK, label: 'Workflow tests', version: '1.0.0' })).status).toBe(201);
  const login = await cli(['login', '--url', ctx.platform.apiUrl, '--username', 'test@attune.local']);
  if (login.code !== 0) throw new Error(`login failed: ${login.stderr}`);
});

/** Two tasks, the second depending on the first, and a required parameter that becomes the action's param_schema. */
const TWO_STEPS = {
  parameters: { host: { type: 'string', required: true } },
  tasks: [
    { name: 'check', action: 'core.echo', input: { message: 'checking {{ parameters.host }}' } },
    { name: 'report', action: 'core.echo', input: { message: 'checked {{ parameters.host }}' }, depends_on: ['check'] },
  ],
  output_map: { report: '{{ task.report.result.stdout }}' },
};

/**
 * The bad definitions: each refused, naming the task and the field. `field` is relative
 * to the definition (`tasks.<task>.<field>`); the API prefixes `definition.`, an upload the file.
 */
const BAD: Array<{ what: string; definition: Record<string, unknown>; field: string; message: RegExp }> = [
  {
    what: 'a cycle through depends_on',
    definition: {
      tasks: [
        { name: 'a', action: 'core.noop', depends_on: ['c'] },
        { name: 'b', action: 'core.noop', depends_on: ['a'] },
        { name: 'c', action: 'core.noop', depends_on: ['b'] },
      ],
    },
    field: 'tasks.a.depends_on',
    message: /cycle/,
  },
  {
    what: 'a name in do that is not a task',
    definition: { tasks: [{ name: 'a', action: 'core.noop', next: [{ do: ['nowhere'] }] }] },
    field: 'tasks.a.next[0].do[0]',
    message: /"nowhere" is not a task/,
  },
  {
    what: 'a shorthand naming no task',
    definition: { tasks: [{ name: 'a', action: 'core.noop', on_failure: 'cleanup' }] },
    field: 'tasks.a.on_failure',
    message: /"cleanup" is not a task/,
  },
  {
    what: 'a name in depends_on that is not a task',
    definition: { tasks: [{ name: 'a', action: 'core.noop' }, { name: 'b', action: 'core.noop', depends_on: ['ghost'] }] },
    field: 'tasks.b.depends_on[0]',
    message: /"ghost" is not a task/,
  },
  {
    what: 'an expression that does not parse',
    definition: { tasks: [{ name: 'a', action: 'core.echo', input: { message: '{{ parameters.x + }}' } }] },
    field: 'tasks.a.input.message',
    message: /./,
  },
  {
    what: 'a `when` that does not parse',
    definition: { tasks: [{ name: 'a', action: 'core.noop', next: [{ when: '{{ succeeded( }}', do: ['a'] }] }] },
    field: 'tasks.a.next[0].when',
    message: /./,
  },
  {
    what: 'an unknown action',
    definition: { tasks: [{ name: 'a', action: 'core.does_not_exist' }] },
    field: 'tasks.a.action',
    message: /core\.does_not_exist/,
  },
  {
    what: 'an action of a pack that does not exist',
    definition: { tasks: [{ name: 'a', action: 'nopack_zz.thing' }] },
    field: 'tasks.a.action',
    message: /nopack_zz\.thing/,
  },
  {
    what: "an expression reaching for the process through ''.constructor.constructor",
    definition: { tasks: [{ name: 'a', action: 'core.echo', input: { message: "{{ ''.constructor.constructor('return process')() }}" } }] },
    field: 'tasks.a.input.message',
    message: /./,
  },
  {
    what: 'a __proto__ path in a condition',
    definition: { tasks: [{ name: 'a', action: 'core.noop', when: '{{ parameters.__proto__.polluted }}' }] },
    field: 'tasks.a.when',
    message: /./,
  },
];

describe('the example pack', () => {
  it('is registered at startup with its workflows, each also an action of runtime workflow', async () => {
    const list = await api.get('/api/v1/workflows?pack_ref=examples&per_page=100');
    expect(list.status).toBe(200);
    expect(list.body.data.map((w: any) => w.ref)).toEqual(
      expect.arrayContaining(['examples.cleanup_on_failure', 'examples.fanout', 'examples.nested', 'examples.retrying', 'examples.sequential']),
    );
    const action = await api.get('/api/v1/actions/examples.fanout');
    expect(action.body.data).toMatchObject({ runtime: 'workflow', entrypoint: 'actions/workflows/fanout.workflow.yaml' });
    const wf = await api.get('/api/v1/workflows/examples.fanout');
    expect(wf.body.data).toMatchObject({ ref: 'examples.fanout', pack_ref: 'examples', version: '1.0.0', enabled: true, task_count: 4, is_adhoc: false });
    expect(wf.body.data.definition.tasks.find((t: any) => t.name === 'ping')).toMatchObject({ concurrency: 5 });
    expect(wf.body.data.param_schema.properties.hosts.default).toHaveLength(20);
  });
});

describe('POST /api/v1/workflows', () => {
  it('creates a workflow that is also an action (runtime workflow), with the definition as written', async () => {
    const ref = `${PACK}.two_steps`;
    const res = await api.post('/api/v1/workflows', { ref, pack_ref: PACK, label: 'Two steps', version: '1.2.0', definition: TWO_STEPS, tags: ['demo', 'hosts'] });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({
      ref,
      pack_ref: PACK,
      label: 'Two steps',
      version: '1.2.0',
      tags: ['demo', 'hosts'],
      enabled: true,
      task_count: 2,
      is_adhoc: true,
      definition: TWO_STEPS,
      param_schema: { type: 'object', properties: { host: { type: 'string' } }, required: ['host'] },
    });
    const action = await api.get(`/api/v1/actions/${ref}`);
    expect(action.status).toBe(200);
    expect(action.body.data).toMatchObject({ ref, runtime: 'workflow' });
    expect((await api.post('/api/v1/workflows', { ref, pack_ref: PACK, label: 'Again', version: '1', definition: TWO_STEPS })).status).toBe(409);
  });

  it.each(BAD)('refuses $what with 422 naming definition.$field, and saves nothing', async ({ definition, field, message }) => {
    const ref = `${PACK}.bad_${randomUUID().slice(0, 6)}`;
    const res = await api.post('/api/v1/workflows', { ref, pack_ref: PACK, label: 'Bad', version: '1.0.0', definition });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('VALIDATION_ERROR');
    const detail = res.body.details.find((d: any) => d.field === `definition.${field}`);
    expect(detail).toBeDefined();
    expect(detail.message).toMatch(message);
    expect((await api.get(`/api/v1/workflows/${ref}`)).status).toBe(404);
    expect((await api.get(`/api/v1/actions/${ref}`)).status).toBe(404);
  });

  it('lists every problem of a definition at once', async () => {
    const res = await api.post('/api/v1/workflows', {
      ref: `${PACK}.many`,
      pack_ref: PACK,
      label: 'Many',
      version: '1',
      definition: { tasks: [...(BAD[0].definition.tasks as unknown[]), { name: 'd', action: 'core.nope', on_success: 'zz' }] },
    });
    expect(res.status).toBe(422);
    expect(res.body.details.map((d: any) => d.field)).toEqual(expect.arrayContaining(['definition.tasks.a.depends_on', 'definition.tasks.d.on_success', 'definition.tasks.d.action']));
  });

  it('refuses a ref outside its pack, a missing pack, and a body without a definition', async () => {
    const outside = await api.post('/api/v1/workflows', { ref: 'core.mine', pack_ref: PACK, label: 'x', version: '1', definition: TWO_STEPS });
    expect(outside.status).toBe(422);
    expect(outside.body.details.map((d: any) => d.field)).toContain('ref');
    const noPack = await api.post('/api/v1/workflows', { ref: 'nopack_zz.x', pack_ref: 'nopack_zz', label: 'x', version: '1', definition: TWO_STEPS });
    expect(noPack.status).toBe(422);
    expect(noPack.body.details.map((d: any) => d.field)).toContain('pack_ref');
    const noDefinition = await api.post('/api/v1/workflows', { ref: `${PACK}.x`, pack_ref: PACK, label: 'x', version: '1' });
    expect(noDefinition.status).toBe(422);
    expect(noDefinition.body.details.map((d: any) => d.field)).toContain('definition');
  });
});

describe('the OpenAPI spec', () => {
  it('describes the workflow routes, with an example for POST /workflows and the 422 answer', async () => {
    const spec = (await api.get('/api-spec/openapi.json')).body;
    expect(Object.keys(spec.paths['/api/v1/workflows'])).toEqual(expect.arrayContaining(['get', 'post']));
    expect(Object.keys(spec.paths['/api/v1/workflows/{ref}'])).toEqual(expect.arrayContaining(['get', 'put', 'delete']));
    expect(spec.paths['/api/v1/executions/{id}/workflow'].get.summary).toBeTruthy();
    const post = spec.paths['/api/v1/workflows'].post;
    expect(post.requestBody.content['application/json'].examples.sequential.value.definition.tasks).toHaveLength(2);
    expect(post.responses['422']).toBeDefined();
    expect(post.description).toContain('definition.tasks.<task>.<field>');
    expect(spec.components.schemas.ExecutionDto.properties.workflow_task).toBeDefined();
  });
});

describe('/api/v1/actions and workflows', () => {
  it('refuses runtime workflow on POST and PUT /actions, pointing to /api/v1/workflows', async () => {
    const create = await api.post('/api/v1/actions', { ref: `${PACK}.flow`, runtime: 'workflow', entrypoint: 'x.yaml' });
    expect(create.status).toBe(422);
    expect(create.body.details).toEqual([{ field: 'runtime', message: expect.stringContaining('/api/v1/workflows') }]);
    const change = await put(`/api/v1/actions/${PACK}.two_steps`, { label: 'renamed' });
    expect(change.status).toBe(422);
    expect(change.body.details[0].message).toContain('/api/v1/workflows');
    expect((await api.get(`/api/v1/workflows/${PACK}.two_steps`)).body.data.label).toBe('Two steps');
  });

  it('answers 404 on /workflows/{ref} for an action that is not a workflow', async () => {
    expect((await api.get('/api/v1/workflows/core.echo')).status).toBe(404);
  });
});

describe('GET/PUT/DELETE /api/v1/workflows and filters', () => {
  const refs = { alpha: `${PACK}.alpha`, beta: `${PACK}.beta`, gamma: `${PACK}.gamma` };

  beforeAll(async () => {
    const make = (ref: string, tags: string[], extra: Record<string, unknown> = {}) =>
      api.post('/api/v1/workflows', { ref, pack_ref: PACK, label: ref.split('.')[1], version: '1.0.0', tags, definition: TWO_STEPS, ...extra });
    expect((await make(refs.alpha, ['deploy', 'prod'], { description: 'Ships the Zebra service' })).status).toBe(201);
    expect((await make(refs.beta, ['deploy'])).status).toBe(201);
    expect((await make(refs.gamma, ['report'], { enabled: false })).status).toBe(201);
  });

  const list = async (query: string) => {
    const res = await api.get(`/api/v1/workflows?pack_ref=${PACK}&${query}`);
    expect(res.status).toBe(200);
    return res.body;
  };

  it('filters by pack, tags (any of them), enabled and search, with pagination', async () => {
    expect((await list('')).data.map((w: any) => w.ref)).toEqual([refs.alpha, refs.beta, refs.gamma, `${PACK}.two_steps`]);
    expect((await list('tags=deploy')).data.map((w: any) => w.ref)).toEqual([refs.alpha, refs.beta]);
    expect((await list('tags=prod,report')).data.map((w: any) => w.ref)).toEqual([refs.alpha, refs.gamma]);
    expect((await list('enabled=false')).data.map((w: any) => w.ref)).toEqual([refs.gamma]);
    expect((await list('search=zebra')).data.map((w: any) => w.ref)).toEqual([refs.alpha]);
    expect((await list('search=%25')).data).toEqual([]);
    const page = await list('per_page=2&page=2');
    expect(page.data.map((w: any) => w.ref)).toEqual([refs.gamma, `${PACK}.two_steps`]);
    expect(page.pagination).toEqual({ page: 2, per_page: 2, total: 4, total_pages: 2 });
    expect(page.data[0].definition).toBeUndefined();
    expect((await api.get('/api/v1/workflows?enabled=maybe')).status).toBe(422);
  });

  it('changes a workflow with PUT, and a bad definition changes nothing', async () => {
    const definition = { ...TWO_STEPS, tasks: [...TWO_STEPS.tasks, { name: 'done', action: 'core.noop' }] };
    const ok = await put(`/api/v1/workflows/${refs.beta}`, { definition, version: '1.1.0', tags: ['deploy', 'staging'], label: 'Beta' });
    expect(ok.status).toBe(200);
    expect(ok.body.data).toMatchObject({ version: '1.1.0', tags: ['deploy', 'staging'], label: 'Beta', task_count: 3, definition });
    const bad = await put(`/api/v1/workflows/${refs.beta}`, { definition: BAD[0].definition, label: 'Broken' });
    expect(bad.status).toBe(422);
    expect(bad.body.details.map((d: any) => d.field)).toContain('definition.tasks.a.depends_on');
    expect((await api.get(`/api/v1/workflows/${refs.beta}`)).body.data).toMatchObject({ label: 'Beta', task_count: 3 });
    expect((await put(`/api/v1/workflows/${PACK}.nothing`, { label: 'x' })).status).toBe(404);
  });

  it('deletes a workflow and its action', async () => {
    expect((await del(`/api/v1/workflows/${refs.gamma}`)).status).toBe(204);
    expect((await api.get(`/api/v1/workflows/${refs.gamma}`)).status).toBe(404);
    expect((await api.get(`/api/v1/actions/${refs.gamma}`)).status).toBe(404);
    expect((await del(`/api/v1/workflows/${refs.gamma}`)).status).toBe(404);
  });

  it('refuses to delete an action, a sub-workflow or a pack that a saved workflow runs, naming the workflow', async () => {
    const tools = `${PACK}tools`;
    expect((await api.post('/api/v1/packs', { ref: tools, label: 'Tools', version: '1.0.0' })).status).toBe(201);
    expect((await api.post('/api/v1/actions', { ref: `${tools}.build`, pack_ref: tools, runtime: 'core.shell', entrypoint: 'echo built' })).status).toBe(201);
    const inner = { tasks: [{ name: 'build', action: `${tools}.build` }] };
    const outer = { tasks: [{ name: 'inner', action: `${PACK}.inner` }] };
    expect((await api.post('/api/v1/workflows', { ref: `${PACK}.inner`, pack_ref: PACK, label: 'inner', version: '1.0.0', definition: inner })).status).toBe(201);
    expect((await api.post('/api/v1/workflows', { ref: `${PACK}.outer`, pack_ref: PACK, label: 'outer', version: '1.0.0', definition: outer })).status).toBe(201);

    const action = await del(`/api/v1/actions/${tools}.build`);
    expect(action.status).toBe(409);
    expect(action.body).toMatchObject({ code: 'CONFLICT' });
    expect(action.body.details).toEqual([{ field: `${PACK}.inner`, message: 'has a task that runs it' }]);
    expect((await del(`/api/v1/packs/${tools}`)).status).toBe(409);
    const sub = await del(`/api/v1/workflows/${PACK}.inner`);
    expect(sub.status).toBe(409);
    expect(sub.body.details).toEqual([{ field: `${PACK}.outer`, message: 'has a task that runs it' }]);

    expect((await del(`/api/v1/workflows/${PACK}.outer`)).status).toBe(204);
    expect((await del(`/api/v1/workflows/${PACK}.inner`)).status).toBe(204);
    expect((await del(`/api/v1/actions/${tools}.build`)).status).toBe(204);
  });
});

describe('pack upload with workflow files', () => {
  const packYaml = (ref: string) => `ref: ${ref}\nversion: 1.0.0\n`;
  const say: TarEntry[] = [{ path: 'actions/say.yaml', content: 'name: say\nrunner_type: shell\nentry_point: printf "%s" "$PARAM_MESSAGE"\nparameters: {message: {type: string}}\n' }];
  const flowAction = (file = 'workflows/flow.workflow.yaml'): TarEntry => ({ path: 'actions/flow.yaml', content: `name: flow\nrunner_type: workflow\nworkflow_file: ${file}\n` });

  it('registers a workflow action from its file: runtime workflow, the file as entrypoint, the definition, parameters from it', async () => {
    const ref = `${PACK}_up`;
    const definition = `parameters:\n  who: {type: string, default: you}\ntasks:\n  - name: hello\n    action: ${ref}.say\n    input: {message: "hi {{ parameters.who }}"}\n    on_success: bye\n  - name: bye\n    action: core.echo\n`;
    const res = await upload(
      await buildTarGz([{ path: 'pack.yaml', content: packYaml(ref) }, ...say, flowAction(), { path: 'actions/workflows/flow.workflow.yaml', content: definition }]),
    );
    expect(res.status).toBe(201);
    const wf = await api.get(`/api/v1/workflows/${ref}.flow`);
    expect(wf.body.data).toMatchObject({
      workflow_file: 'actions/workflows/flow.workflow.yaml',
      version: '1.0.0',
      is_adhoc: false,
      param_schema: { properties: { who: { type: 'string', default: 'you' } } },
      definition: { tasks: [{ name: 'hello' }, { name: 'bye' }] },
    });
    expect((await api.get(`/api/v1/actions/${ref}.flow`)).body.data.runtime).toBe('workflow');
  });

  it.each(BAD)('refuses the whole upload for $what with 422 naming <file>: $field, and registers nothing', async ({ definition, field, message }) => {
    const ref = `${PACK}_bad${randomUUID().slice(0, 6).replace(/-/g, '')}`;
    const archive = await buildTarGz([
      { path: 'pack.yaml', content: packYaml(ref) },
      ...say,
      flowAction('workflows/bad.workflow.yaml'),
      // JSON is YAML: the same definition as the API case, as a file.
      { path: FILE, content: JSON.stringify(definition) },
    ]);
    const res = await upload(archive);
    expect(res.status).toBe(422);
    const detail = res.body.details.find((d: any) => d.field === `${FILE}: ${field}`);
    expect(detail).toBeDefined();
    expect(detail.message).toMatch(message);
    expect((await api.get(`/api/v1/packs/${ref}`)).status).toBe(404);
    expect((await api.get(`/api/v1/actions/${ref}.say`)).status).toBe(404);
  });

  it('checks same-pack refs against the upload itself, not the registry copy it replaces', async () => {
    const ref = `${PACK}_up`;
    // The new version drops `say` but the workflow still runs it: refused, and the old version stays.
    const definition = `tasks:\n  - name: hello\n    action: ${ref}.say\n`;
    const res = await upload(await buildTarGz([{ path: 'pack.yaml', content: packYaml(ref) }, flowAction(), { path: 'actions/workflows/flow.workflow.yaml', content: definition }]));
    expect(res.status).toBe(422);
    expect(res.body.details).toEqual([{ field: 'actions/workflows/flow.workflow.yaml: tasks.hello.action', message: expect.stringContaining(`${ref}.say`) }]);
    expect((await api.get(`/api/v1/actions/${ref}.say`)).status).toBe(200);
    expect((await api.get(`/api/v1/workflows/${ref}.flow`)).body.data.task_count).toBe(2);
  });

  it('refuses a workflow_file that is missing or outside actions/', async () => {
    const ref = `${PACK}_nofile`;
    const res = await upload(
      await buildTarGz([
        { path: 'pack.yaml', content: packYaml(ref) },
        { path: 'outside.yaml', content: 'tasks: []\n' },
        flowAction('workflows/none.workflow.yaml'),
        { path: 'actions/other.yaml', content: 'name: other\nrunner_type: workflow\nworkflow_file: ../outside.yaml\n' },
      ]),
    );
    expect(res.status).toBe(422);
    expect(res.body.details.map((d: any) => d.field)).toEqual(['actions/flow.yaml: workflow_file', 'actions/other.yaml: workflow_file']);
  });
});

describe('executions of workflows', () => {
  it('shows workflow_task (null outside a workflow) and 404 on /workflow for an execution that is not a workflow run', async () => {
    const e = await execute(api, 'core.noop');
    expect(e.workflow_task).toBeNull();
    await waitForTerminal(api, e.id);
    expect((await api.get(`/api/v1/executions/${e.id}`)).body.data.workflow_task).toBeNull();
    const view = await api.get(`/api/v1/executions/${e.id}/workflow`);
    expect(view.status).toBe(404);
    expect(view.body.code).toBe('NOT_FOUND');
    expect((await api.get('/api/v1/executions/999999999/workflow')).status).toBe(404);
  });

  it('draws a workflow execution: one node per task, the edges of the definition, the run\'s status', async () => {
    const e = await execute(api, 'examples.cleanup_on_failure');
    const res = await api.get(`/api/v1/executions/${e.id}/workflow`);
    expect(res.status).toBe(200);
    const view = res.body.data;
    expect(view).toMatchObject({ execution: e.id, definition_ref: 'examples.cleanup_on_failure' });
    expect(typeof view.status).toBe('string');
    expect(view.nodes.map((n: any) => [n.task, n.action])).toEqual([
      ['deploy', 'examples.fail'],
      ['notify', 'core.echo'],
      ['cleanup', 'core.echo'],
    ]);
    for (const n of view.nodes) expect(n).toEqual(expect.objectContaining({ status: expect.any(String), executions: expect.any(Array), runs: expect.any(Array) }));
    expect(view.edges).toEqual([
      { from: 'deploy', to: 'notify', when: '{{ succeeded() }}', kind: 'transition' },
      { from: 'deploy', to: 'cleanup', when: '{{ failed() }}', kind: 'transition' },
    ]);
    expect(view.vars).toEqual(expect.any(Object));
  });
});

describe('the CLI', () => {
  it('creates a workflow from a YAML file, and reports a bad one with its task and field (exit 8), saving nothing', async () => {
    const good = join(SCRATCH, 'good.workflow.yaml');
    writeFileSync(good, `ref: ${PACK}.from_cli\nlabel: From the CLI\nversion: 3.0.0\ntags: [cli]\ntasks:\n  - name: only\n    action: core.noop\n`);
    const created = await cli(['workflow', 'create', '-f', good]);
    expect(created.code).toBe(0);
    expect(created.stdout).toContain(`Created workflow ${PACK}.from_cli (1 tasks)`);
    expect((await api.get(`/api/v1/workflows/${PACK}.from_cli`)).body.data).toMatchObject({ label: 'From the CLI', version: '3.0.0', tags: ['cli'] });

    const again = await cli(['workflow', 'create', '-f', good, '--label', 'Relabelled', '--update', '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ ref: `${PACK}.from_cli`, label: 'Relabelled' });

    const bad = join(SCRATCH, 'bad.workflow.yaml');
    writeFileSync(bad, `ref: ${PACK}.bad_cli\nversion: 1\ntasks:\n  - name: first\n    action: core.noop\n    next:\n      - do: [secnod]\n`);
    const refused = await cli(['workflow', 'create', '-f', bad]);
    expect(refused.code).toBe(8);
    expect(refused.stderr).toContain('definition.tasks.first.next[0].do[0]');
    expect((await api.get(`/api/v1/workflows/${PACK}.bad_cli`)).status).toBe(404);
  });

  it('lists, shows and deletes workflows', async () => {
    const listed = await cli(['workflow', 'list', '--pack', PACK, '--tag', 'cli', '--json']);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).map((w: any) => w.ref)).toEqual([`${PACK}.from_cli`]);
    const table = await cli(['workflow', 'list', '--pack', 'examples']);
    expect(table.stdout).toMatch(/examples\.fanout\s+1\.0\.0\s+4\s+yes/);

    const shown = await cli(['workflow', 'show', 'examples.fanout']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/File:\s+actions\/workflows\/fanout\.workflow\.yaml/);
    expect(shown.stdout).toMatch(/ping\s+examples\.ping\s+yes\s+→ summarize/);
    expect(shown.stdout).toMatch(/prepare\s+core\.noop\s+-\s+→ ping, audit/);

    const kept = await cli(['workflow', 'delete', `${PACK}.from_cli`], 'n\n');
    expect(kept.code).toBe(1);
    expect((await api.get(`/api/v1/workflows/${PACK}.from_cli`)).status).toBe(200);
    const deleted = await cli(['workflow', 'delete', `${PACK}.from_cli`, '--force']);
    expect(deleted.code).toBe(0);
    expect((await api.get(`/api/v1/workflows/${PACK}.from_cli`)).status).toBe(404);
    expect((await cli(['workflow', 'show', `${PACK}.from_cli`])).code).toBe(4);
  });

  it('draws a workflow execution as a tree, and refuses one that is not a workflow run', async () => {
    const e = await execute(api, 'examples.sequential', { name: 'tree' });
    const tree = await cli(['execution', 'tree', String(e.id)]);
    expect(tree.code).toBe(0);
    const lines = tree.stdout.trim().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^Execution ${e.id}  examples\\.sequential  \\w+`));
    expect(lines.slice(1).map((l) => l.replace(/ .*/, ''))).toEqual(['├─', '├─', '└─']);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[1])).toEqual(['compose', 'shout', 'count']);
    const json = JSON.parse((await cli(['execution', 'tree', String(e.id), '--json'])).stdout);
    expect(json).toMatchObject({ execution: e.id, definition_ref: 'examples.sequential', sub_workflows: {} });

    const plain = await execute(api, 'core.noop');
    const refused = await cli(['execution', 'tree', String(plain.id)]);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('not a workflow run');
  });
});

describe('real runs through the engine: the view, run --wait and execution tree', () => {
  it('runs examples.sequential with run --wait, printing each task as it ends, then the output', async () => {
    const r = await cli(['run', 'examples.sequential', 'name=ada', '--wait']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.slice(0, 3).map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual(['✓ compose', '✓ shout', '✓ count']);
    for (const l of lines.slice(0, 3)) expect(l).toMatch(/#\d+\s+completed/);
    const id = Number(/^Execution (\d+) completed/.exec(lines[3])?.[1]);
    expect(id).toBeGreaterThan(0);
    expect(JSON.parse(lines.slice(5).join('\n'))).toEqual({ greeting: 'hello ada', loud: 'HELLO ADA', words: 2 });

    const view = (await api.get(`/api/v1/executions/${id}/workflow`)).body.data;
    expect(view).toMatchObject({ execution: id, definition_ref: 'examples.sequential', status: 'completed', vars: { greeting: 'hello ada', loud: 'HELLO ADA' } });
    expect(view.nodes.map((n: any) => [n.task, n.status, n.executions.length])).toEqual([
      ['compose', 'succeeded', 1],
      ['shout', 'succeeded', 1],
      ['count', 'succeeded', 1],
    ]);
    // No task starts before the one it follows has ended.
    for (let i = 1; i < view.nodes.length; i++) expect(Date.parse(view.nodes[i].started_at)).toBeGreaterThanOrEqual(Date.parse(view.nodes[i - 1].finished_at));
    const children = (await api.get(`/api/v1/executions?parent=${id}`)).body.data;
    expect(children.map((c: any) => c.workflow_task.task_name).sort()).toEqual(['compose', 'count', 'shout']);
    for (const c of children) expect(c.workflow_task).toMatchObject({ workflow_execution: id, attempt: 1 });
    expect(children.map((c: any) => c.id).sort()).toEqual(view.nodes.flatMap((n: any) => n.executions).sort());
  });

  it('shows a failure handled by cleanup, and run --wait marks the failed task', async () => {
    const r = await cli(['run', 'examples.cleanup_on_failure', '--wait']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^✗ deploy\s+#\d+\s+failed/m);
    expect(r.stdout).toMatch(/^✓ cleanup\s+#\d+\s+completed/m);
    expect(r.stdout).not.toMatch(/notify/);
    const id = Number(/Execution (\d+) completed/.exec(r.stdout)?.[1]);
    const view = (await api.get(`/api/v1/executions/${id}/workflow`)).body.data;
    expect(Object.fromEntries(view.nodes.map((n: any) => [n.task, n.status]))).toMatchObject({ deploy: 'failed', cleanup: 'succeeded' });
    expect(view.nodes.find((n: any) => n.task === 'notify').executions).toEqual([]);
  });

  it('draws retries, items and a sub-workflow in the tree', async () => {
    const retrying = await execute(api, 'examples.retrying');
    const fanout = await execute(api, 'examples.fanout', { delay: 0.1 });
    const nested = await execute(api, 'examples.nested');
    for (const e of [retrying, fanout, nested]) expect((await waitForTerminal(api, e.id, 60_000)).status).toBe('completed');

    const retryView = (await api.get(`/api/v1/executions/${retrying.id}/workflow`)).body.data;
    const flaky = retryView.nodes.find((n: any) => n.task === 'flaky');
    expect(flaky.runs.map((r: any) => [r.attempt, r.status])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
      [3, 'completed'],
    ]);
    const retryTree = (await cli(['execution', 'tree', String(retrying.id)])).stdout;
    expect(retryTree).toMatch(/├─ flaky\s+succeeded/);
    expect(retryTree).toMatch(/attempt 1\s+#\d+\s+failed/);
    expect(retryTree).toMatch(/attempt 3\s+#\d+\s+completed/);
    expect((await api.get(`/api/v1/executions/${retrying.id}`)).body.data.result.output).toEqual({ attempt: 3 });

    const fanView = (await api.get(`/api/v1/executions/${fanout.id}/workflow`)).body.data;
    const ping = fanView.nodes.find((n: any) => n.task === 'ping');
    expect(ping.items).toEqual({ total: 20, done: 20 });
    expect(ping.runs.map((r: any) => r.item_index)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const fanTree = (await cli(['execution', 'tree', String(fanout.id)])).stdout;
    expect(fanTree).toMatch(/ping\s+succeeded\s+\S+\s+items 20\/20/);
    expect(fanTree.match(/^│  [├└]─ \[\d+\]\s+#\d+\s+completed/gm)).toHaveLength(20);

    const tree = await cli(['execution', 'tree', String(nested.id)]);
    const lines = tree.stdout.trim().split('\n');
    expect(lines[1]).toMatch(/^├─ inner\s+succeeded\s+\S+\s+#\d+/);
    expect(lines.slice(2, 5).map((l) => /─ (\w+)/.exec(l)?.[1])).toEqual(['compose', 'shout', 'count']);
    expect(lines[2]).toMatch(/^│  ├─ compose/);
    expect(lines[5]).toMatch(/^└─ report\s+succeeded/);
    const inner = Number(/#(\d+)/.exec(lines[1])?.[1]);
    expect(JSON.parse((await cli(['execution', 'tree', String(nested.id), '--json'])).stdout).sub_workflows[inner]).toMatchObject({ definition_ref: 'examples.sequential' });
  }, 90_000);
});
