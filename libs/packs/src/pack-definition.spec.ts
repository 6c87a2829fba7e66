import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { buildActionDefinition } from './action-definition';
import { findPackRoot, PackDefinitionError, readPackDefinition } from './pack-definition';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'attune-packdef-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(files: Record<string, string>, root = dir): Promise<Set<string>> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return new Set(Object.keys(files));
}

/** The PackDefinitionError that reading `files`, written as a pack, is refused with. */
async function refusalOf(files: Record<string, string>, opts?: Parameters<typeof readPackDefinition>[2]): Promise<PackDefinitionError> {
  const err = await readPackDefinition(dir, await write(files), opts).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PackDefinitionError);
  return err as PackDefinitionError;
}

describe('readPackDefinition', () => {
  const DEMO = 'ref: demo\nversion: "1"\n';

  it('reads pack.yaml and every action, with warnings for unused keys', async () => {
    const files = await write({
      'pack.yaml': 'ref: demo\nversion: 1.0\nlabel: Demo\nauthor: me\n',
      'actions/hello.yaml': 'name: hello\nrunner_type: python\nentry_point: hello.py\noutput_format: json\n',
      'actions/hello.py': 'print("{}")\n',
      'actions/greet.yml': 'name: greet\nrunner_type: shell\nentry_point: echo hi\ntags: [a]\n',
    });
    const def = await readPackDefinition(dir, files);
    expect(def.pack).toEqual({
      ref: 'demo', label: 'Demo', version: '1', description: null,
      confSchema: {}, config: {}, meta: {}, tags: [], runtimeDeps: [], dependencies: [],
    });
    expect(def.actions.map((a) => [a.ref, a.runtime, a.entrypoint, a.entrypointInline])).toEqual([
      ['demo.greet', 'shell', 'echo hi', true],
      ['demo.hello', 'python', 'actions/hello.py', false],
    ]);
    expect(def.warnings).toEqual(['pack.yaml: key "author" is not used']);
    expect(def.actions.find((a) => a.ref === 'demo.greet')?.tags).toEqual(['a']);
  });

  it('lists every problem of every file', async () => {
    const err = await refusalOf({
      'pack.yaml': DEMO,
      'actions/a.yaml': 'name: a\nruntime: python\nentrypoint: missing.py\n',
      'actions/b.yaml': '- not a mapping\n',
      'actions/c.yaml': 'name: [unclosed\n',
      'actions/d.yaml': 'ref: demo.a\nruntime: shell\nentrypoint: exit 0\n',
    });
    expect(err.details.map((d) => d.field)).toEqual([
      'actions/a.yaml: entrypoint',
      'actions/b.yaml',
      'actions/c.yaml',
    ]);
  });

  it('refuses a pack.yaml without a valid ref or version', async () => {
    const err = await refusalOf({ 'pack.yaml': 'ref: Bad Ref\n' });
    expect(err.details).toEqual([
      { field: 'pack.yaml: ref', message: expect.stringContaining('lowercase') },
      { field: 'pack.yaml: version', message: expect.stringContaining('required') },
    ]);
  });

  it('refuses duplicate refs', async () => {
    const err = await refusalOf({
      'pack.yaml': DEMO,
      'actions/a.yaml': 'name: a\nruntime: shell\nentrypoint: exit 0\n',
      'actions/b.yaml': 'ref: demo.a\nruntime: shell\nentrypoint: exit 1\n',
    });
    expect(err.details).toEqual([{ field: 'actions/b.yaml: ref', message: '"demo.a" is also defined in actions/a.yaml' }]);
  });
});

describe('findPackRoot', () => {
  it('finds pack.yaml at the top or in the only directory', async () => {
    await write({ 'pack.yaml': 'x' });
    expect(await findPackRoot(dir)).toBe('');
    await rm(join(dir, 'pack.yaml'));
    await write({ 'demo/pack.yaml': 'x' });
    expect(await findPackRoot(dir)).toBe('demo');
    await write({ 'other/file': 'x' });
    await expect(findPackRoot(dir)).rejects.toBeInstanceOf(PackDefinitionError);
  });
});

describe('a pack made with GNU tar, as the README shows', () => {
  it('is extracted and read from its ./ entries', async () => {
    const { execFileSync } = await import('node:child_process');
    const { extractPackArchive } = await import('./pack-archive');
    const src = join(dir, 'hello');
    await write(
      {
        'pack.yaml': 'ref: hello\nversion: "1.0.0"\n',
        'actions/greet.yaml': 'name: greet\nrunner_type: python\nentry_point: greet.py\noutput_format: json\nparameters:\n  name: {type: string, required: true}\n',
        'actions/greet.py': 'print(1)\n',
      },
      src,
    );
    execFileSync('tar', ['-czf', join(dir, 'hello.tar.gz'), '.'], { cwd: src });
    await mkdir(join(dir, 'out'));
    const extracted = await extractPackArchive(join(dir, 'hello.tar.gz'), join(dir, 'out'));
    expect(await findPackRoot(join(dir, 'out'))).toBe('');
    const def = await readPackDefinition(join(dir, 'out'), new Set(extracted.files.map((f) => f.path)));
    expect(def.actions.map((a) => [a.ref, a.entrypoint, a.paramSchema.required])).toEqual([['hello.greet', 'actions/greet.py', ['name']]]);
  });

  it('keeps what Attune packs declare (conf_schema, config, meta, tags, runtime_deps, dependencies) as written', async () => {
    const files = await write({
      'pack.yaml': [
        'ref: attunish', 'version: 2.1.0', 'label: Attunish',
        'conf_schema:', '  api_url: {type: string, required: true}', '  token: {type: string, secret: true}',
        'config:', '  api_url: https://example.test', '  retries: 3',
        'meta:', '  author: Ops', '  nested: {a: [1, 2]}',
        'tags: [ops, alerts]', 'runtime_deps: [shell, python]', 'dependencies: [core]', '',
      ].join('\n'),
    });
    const def = await readPackDefinition(dir, files);
    expect(def.pack).toMatchObject({
      confSchema: { api_url: { type: 'string', required: true }, token: { type: 'string', secret: true } },
      config: { api_url: 'https://example.test', retries: 3 },
      meta: { author: 'Ops', nested: { a: [1, 2] } },
      tags: ['ops', 'alerts'],
      runtimeDeps: ['shell', 'python'],
      dependencies: ['core'],
    });
    expect(def.warnings).toEqual([]);
  });

  it('refuses Attune attributes of the wrong shape', async () => {
    const files = await write({ 'pack.yaml': 'ref: bad\nversion: 1\ntags: ops\nmeta: [1]\n' });
    await expect(readPackDefinition(dir, files)).rejects.toMatchObject({
      details: [
        { field: 'pack.yaml: meta', message: 'must be a mapping' },
        { field: 'pack.yaml: tags', message: 'must be a list of strings' },
      ],
    });
  });
});

describe('readPackDefinition: workflow actions', () => {
  const PACK = 'ref: flows\nversion: "2.1.0"\n';
  const SEQUENTIAL = `version: "1.2.0"
tags: [demo]
parameters:
  name: {type: string, required: true}
tasks:
  - name: greet
    action: flows.say
    input: {message: "hello {{ parameters.name }}"}
    next:
      - when: "{{ succeeded() }}"
        publish: [{greeting: "{{ result().stdout }}"}]
        do: [done]
  - name: done
    action: core.noop
output_map:
  greeting: "{{ vars.greeting }}"
`;

  it('reads the workflow file: runtime workflow, the file as entrypoint, the definition as written, its parameters', async () => {
    const files = await write({
      'pack.yaml': PACK,
      'actions/say.yaml': 'name: say\nrunner_type: shell\nentry_point: printf "%s" "$PARAM_MESSAGE"\nparameters: {message: {type: string}}\n',
      'actions/hello.yaml': 'name: hello\nrunner_type: workflow\nworkflow_file: workflows/hello.workflow.yaml\n',
      'actions/workflows/hello.workflow.yaml': SEQUENTIAL,
    });
    const asked: string[][] = [];
    const known = async (refs: string[]) => {
      asked.push(refs);
      return new Set(refs.filter((r) => r === 'core.noop'));
    };
    const def = await readPackDefinition(dir, files, { knownActions: known });
    const hello = def.actions.find((a) => a.ref === 'flows.hello')!;
    expect(hello).toMatchObject({
      runtime: 'workflow',
      entrypoint: 'actions/workflows/hello.workflow.yaml',
      entrypointInline: false,
      tags: ['demo'],
      workflowVersion: '1.2.0',
      paramSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
    });
    expect(hello.workflowDefinition).toEqual(parseYaml(SEQUENTIAL));
    // Only other packs' refs go to the registry; flows.say is found in the upload itself.
    expect(asked).toEqual([['core.noop']]);
    expect(def.warnings).toEqual([]);
  });

  it('takes runtime_ref core.workflow, and the action YAML\'s parameters over the definition\'s', async () => {
    const files = await write({
      'pack.yaml': PACK,
      'actions/say.yaml': 'name: say\nrunner_type: shell\nentry_point: exit 0\n',
      'actions/hello.yaml':
        'name: hello\nruntime_ref: core.workflow\nworkflow_file: actions/workflows/hello.workflow.yaml\ntags: [mine]\nparameters: {name: {type: string, default: ada}}\n',
      'actions/workflows/hello.workflow.yaml': SEQUENTIAL,
    });
    const hello = (await readPackDefinition(dir, files)).actions.find((a) => a.ref === 'flows.hello')!;
    expect(hello.runtime).toBe('workflow');
    expect(hello.paramSchema).toEqual({ type: 'object', properties: { name: { type: 'string', default: 'ada' } } });
    expect(hello.tags).toEqual(['mine']);
    expect(hello.workflowVersion).toBe('1.2.0');
  });

  it('refuses the whole pack naming <file>: tasks.<task>.<field> for every problem of a definition', async () => {
    const bad = `tasks:
  - name: a
    action: flows.good
    depends_on: [b]
  - name: b
    action: flows.missing
    depends_on: [a]
  - name: c
    action: other.thing
    on_success: nowhere
  - name: d
    action: core.echo
    input:
      message: "{{ ''.constructor.constructor('return process')() }}"
  - name: e
    action: core.echo
    input: {message: "{{ parameters.x + }}"}
`;
    const files = {
      'pack.yaml': PACK,
      'actions/good.yaml': 'name: good\nrunner_type: shell\nentry_point: exit 0\n',
      'actions/bad.yaml': 'name: bad\nrunner_type: workflow\nworkflow_file: workflows/bad.workflow.yaml\n',
      'actions/workflows/bad.workflow.yaml': bad,
    };
    const err = await refusalOf(files, { knownActions: async () => new Set(['core.echo']) });
    const fields = err.details.map((d) => d.field);
    const f = 'actions/workflows/bad.workflow.yaml: ';
    expect(fields).toEqual(
      expect.arrayContaining([
        `${f}tasks.a.depends_on`,
        `${f}tasks.c.on_success`,
        `${f}tasks.d.input.message`,
        `${f}tasks.e.input.message`,
        `${f}tasks.b.action`,
        `${f}tasks.c.action`,
      ]),
    );
    expect(err.details.find((d) => d.field === `${f}tasks.a.depends_on`)?.message).toMatch(/cycle/);
    expect(err.details.find((d) => d.field === `${f}tasks.b.action`)?.message).toMatch(/flows\.missing/);
    expect(err.details.find((d) => d.field === `${f}tasks.c.action`)?.message).toMatch(/other\.thing/);
  });

  it('refuses a workflow file that is missing, outside actions/ or not YAML', async () => {
    const err = await refusalOf({
      'pack.yaml': PACK,
      'outside.yaml': 'tasks: []\n',
      'actions/a.yaml': 'name: a\nrunner_type: workflow\nworkflow_file: workflows/none.workflow.yaml\n',
      'actions/b.yaml': 'name: b\nrunner_type: workflow\nworkflow_file: ../outside.yaml\n',
      'actions/c.yaml': 'name: c\nrunner_type: workflow\n',
      'actions/d.yaml': 'name: d\nrunner_type: shell\nentry_point: exit 0\nworkflow_file: x.yaml\n',
      'actions/e.yaml': 'name: e\nrunner_type: workflow\nworkflow_file: workflows/e.workflow.yaml\n',
      'actions/workflows/e.workflow.yaml': '- just a list\n',
    });
    expect(err.details.map((d) => d.field)).toEqual([
      'actions/a.yaml: workflow_file',
      'actions/b.yaml: workflow_file',
      'actions/c.yaml: workflow_file',
      'actions/d.yaml: workflow_file',
      'actions/workflows/e.workflow.yaml',
    ]);
  });
});

describe('buildActionDefinition: runtime workflow outside a pack', () => {
  it('is refused with the caller\'s explanation', () => {
    const out = buildActionDefinition(
      { ref: 'demo.flow', runtime: 'workflow', entrypoint: 'x' },
      { packRef: 'demo', workflows: { refusal: 'use POST /api/v1/workflows' } },
    );
    expect(out.action).toBeUndefined();
    expect(out.errors).toEqual([{ field: 'runtime', message: 'use POST /api/v1/workflows' }]);
  });
});
