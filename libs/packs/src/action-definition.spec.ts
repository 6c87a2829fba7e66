import { buildActionDefinition, looksLikeScriptPath, normalizeScriptPath, resolveRuntime } from './action-definition';

const files = new Set(['pack.yaml', 'actions/hello.py', 'actions/hello.yaml', 'scripts/run.sh', 'lib/tool.js']);

describe('buildActionDefinition', () => {
  it('accepts the aliases packs use and normalises the flat parameter form', () => {
    const { action, errors } = buildActionDefinition(
      {
        name: 'hello',
        runner_type: 'python3',
        entry_point: 'hello.py',
        parameters: { name: { type: 'string', required: true }, loud: { type: 'boolean', default: false } },
        output_format: 'json',
        timeout: 30,
      },
      { packRef: 'demo', files },
    );
    expect(errors).toEqual([]);
    expect(action).toEqual({
      ref: 'demo.hello',
      label: 'hello',
      description: null,
      runtime: 'python',
      entrypoint: 'actions/hello.py',
      entrypointInline: false,
      paramSchema: { type: 'object', properties: { name: { type: 'string' }, loud: { type: 'boolean', default: false } }, required: ['name'] },
      outSchema: null,
      outputFormat: 'json',
      timeoutSeconds: 30,
      enabled: true,
      artifacts: [],
    });
  });

  it('reads declared artifacts (paths or objects) and names each bad field', () => {
    const ok = buildActionDefinition(
      { ref: 'demo.build', runtime: 'shell', entrypoint: 'scripts/run.sh', artifacts: ['dist/*.bin', { path: 'report.xml', name: 'report', type: 'file_text', required: true, when: 'success' }] },
      { packRef: 'demo', files },
    );
    expect(ok.errors).toEqual([]);
    expect(ok.action?.artifacts).toEqual([{ path: 'dist/*.bin' }, { path: 'report.xml', name: 'report', type: 'file_text', required: true, when: 'success' }]);
    const bad = buildActionDefinition(
      { ref: 'demo.build', runtime: 'shell', entrypoint: 'scripts/run.sh', artifacts: ['/etc/passwd', { path: '../x', type: 'zip', required: 'yes', when: 'never', colour: 1 }, 7] },
      { packRef: 'demo', files },
    );
    expect(bad.action).toBeUndefined();
    expect(bad.errors.map((e) => e.field)).toEqual([
      'artifacts[0]',
      'artifacts[1].colour',
      'artifacts[1].path',
      'artifacts[1].type',
      'artifacts[1].required',
      'artifacts[1].when',
      'artifacts[2]',
    ]);
  });

  it('tells inline shell text from a script path', () => {
    const inline = buildActionDefinition({ ref: 'demo.x', runtime: 'core.shell', entrypoint: 'echo "$PARAM_A"' }, { packRef: 'demo', files });
    expect(inline.action).toMatchObject({ entrypoint: 'echo "$PARAM_A"', entrypointInline: true });
    const script = buildActionDefinition({ ref: 'demo.y', runtime: 'shell', entrypoint: 'scripts/run.sh' }, { packRef: 'demo', files });
    expect(script.action).toMatchObject({ entrypoint: 'scripts/run.sh', entrypointInline: false });
    const missing = buildActionDefinition({ ref: 'demo.z', runtime: 'shell', entrypoint: 'scripts/nope.sh' }, { packRef: 'demo', files });
    expect(missing.errors).toEqual([{ field: 'entrypoint', message: '"scripts/nope.sh" is not a file in pack "demo"' }]);
  });

  it('reports every problem at once, with the source file in the field', () => {
    const { action, errors, unknownKeys } = buildActionDefinition(
      {
        ref: 'other.hello',
        runtime: 'ruby',
        param_schema: { type: 'object', properties: { n: { type: 'nonsense' } } },
        output_format: 'xml',
        timeout_seconds: -1,
        enabled: 'yes',
        colour: 'blue',
      },
      { packRef: 'demo', files, source: 'actions/hello.yaml' },
    );
    expect(action).toBeUndefined();
    expect(errors.map((e) => e.field)).toEqual([
      'actions/hello.yaml: ref',
      'actions/hello.yaml: runtime',
      'actions/hello.yaml: entrypoint',
      'actions/hello.yaml: param_schema',
      'actions/hello.yaml: output_format',
      'actions/hello.yaml: timeout_seconds',
      'actions/hello.yaml: enabled',
    ]);
    expect(unknownKeys).toEqual(['colour']);
  });

  it('refuses script paths that leave the pack, and python text that is not a file', () => {
    const out = buildActionDefinition({ name: 'x', runtime: 'node', entrypoint: '../../etc/passwd' }, { packRef: 'demo', files });
    expect(out.errors[0]).toEqual({ field: 'entrypoint', message: '"../../etc/passwd" is not a path inside the pack' });
    const text = buildActionDefinition({ name: 'x', runtime: 'python', entrypoint: 'print(1)' }, { packRef: 'demo', files });
    expect(text.errors[0].field).toBe('entrypoint');
  });

  it('takes a script path on trust when the pack has no uploaded files', () => {
    const { action } = buildActionDefinition({ name: 'x', runtime: 'node', entrypoint: 'lib/tool.js' }, { packRef: 'demo' });
    expect(action).toMatchObject({ entrypoint: 'lib/tool.js', entrypointInline: false });
  });
});

describe('helpers', () => {
  it('resolves runtime names', () => {
    expect(resolveRuntime('python-script')).toBe('python');
    expect(resolveRuntime('core.node')).toBe('node');
    expect(resolveRuntime('perl')).toBeUndefined();
  });

  it('recognises script paths', () => {
    expect(looksLikeScriptPath('run.sh')).toBe(true);
    expect(looksLikeScriptPath('exit 0')).toBe(false);
    expect(looksLikeScriptPath('true')).toBe(false);
    expect(normalizeScriptPath('./a/../b.py')).toBe('b.py');
    expect(normalizeScriptPath('/etc/x')).toBeUndefined();
    expect(normalizeScriptPath('a/../../x')).toBeUndefined();
  });

  it('takes Attune\'s runtime_ref, and infers the runtime from the entrypoint when none is named', () => {
    const files = new Set(['actions/a.py', 'actions/b.js', 'actions/c.sh']);
    const runtimeOf = (raw: Record<string, unknown>) => buildActionDefinition({ ref: 'demo.x', ...raw }, { packRef: 'demo', files }).action?.runtime;
    expect(runtimeOf({ runtime_ref: 'core.python', entrypoint: 'actions/a.py' })).toBe('python');
    expect(runtimeOf({ runtime_ref: 'core.nodejs', entrypoint: 'actions/b.js' })).toBe('node');
    expect(runtimeOf({ runtime_ref: 'core.shell', runtime: 'python', entrypoint: 'echo hi' })).toBe('shell');
    expect(runtimeOf({ entrypoint: 'actions/a.py' })).toBe('python');
    expect(runtimeOf({ entrypoint: 'actions/b.js' })).toBe('node');
    expect(runtimeOf({ entrypoint: 'actions/c.sh' })).toBe('shell');
    expect(runtimeOf({ entrypoint: 'echo "hello"' })).toBe('shell');
    const bad = buildActionDefinition({ ref: 'demo.x', runtime_ref: 'core.cobol', entrypoint: 'x' }, { packRef: 'demo', files });
    expect(bad.errors.map((e) => e.field)).toEqual(['runtime_ref']);
  });
});
