import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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

describe('readPackDefinition', () => {
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
    expect(def.warnings).toEqual(['pack.yaml: key "author" is not used', 'actions/greet.yml: key "tags" is not used']);
  });

  it('lists every problem of every file', async () => {
    const files = await write({
      'pack.yaml': 'ref: demo\nversion: "2"\n',
      'actions/a.yaml': 'name: a\nruntime: python\nentrypoint: missing.py\n',
      'actions/b.yaml': '- not a mapping\n',
      'actions/c.yaml': 'name: [unclosed\n',
      'actions/d.yaml': 'ref: demo.a\nruntime: shell\nentrypoint: exit 0\n',
    });
    const err = await readPackDefinition(dir, files).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PackDefinitionError);
    expect((err as PackDefinitionError).details.map((d) => d.field)).toEqual([
      'actions/a.yaml: entrypoint',
      'actions/b.yaml',
      'actions/c.yaml',
    ]);
  });

  it('refuses a pack.yaml without a valid ref or version', async () => {
    const files = await write({ 'pack.yaml': 'ref: Bad Ref\n' });
    const err = (await readPackDefinition(dir, files).catch((e: unknown) => e)) as PackDefinitionError;
    expect(err.details).toEqual([
      { field: 'pack.yaml: ref', message: expect.stringContaining('lowercase') },
      { field: 'pack.yaml: version', message: expect.stringContaining('required') },
    ]);
  });

  it('refuses duplicate refs', async () => {
    const files = await write({
      'pack.yaml': 'ref: demo\nversion: "1"\n',
      'actions/a.yaml': 'name: a\nruntime: shell\nentrypoint: exit 0\n',
      'actions/b.yaml': 'ref: demo.a\nruntime: shell\nentrypoint: exit 1\n',
    });
    const err = (await readPackDefinition(dir, files).catch((e: unknown) => e)) as PackDefinitionError;
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
