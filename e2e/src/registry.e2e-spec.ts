import { ApiClient, buildTarGz, freePort, type TarEntry, waitFor } from '@attune/testing';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execute, ROOT, usePlatform, waitForTerminal } from './support';

// Registry acceptance: packs uploaded as archives, python and node actions, re-uploads while a
// run is in flight, hostile archives, bad input, and routing by runtime.
const RUN = randomUUID().slice(0, 8);
const SCRATCH = resolve(ROOT, 'tmp/e2e', `registry-scratch-${RUN}`);
const STAGING = join(SCRATCH, 'staging');
const OUTSIDE = join(SCRATCH, 'outside');
const MAX_EXTRACTED = 4 * 1024 * 1024;
const MAX_UPLOAD = 512 * 1024;
// The database is shared with earlier runs and other test files: refs are this run's own.
const DEMO = `demo_${RUN}`;
const EVIL = `evil_${RUN}`;
const BROKEN = `broken_${RUN}`;
const OPS = `ops_${RUN}`;

beforeAll(() => {
  mkdirSync(STAGING, { recursive: true });
  mkdirSync(OUTSIDE, { recursive: true });
});

const ctx = usePlatform('registry', {
  ATTUNE_PACK_STAGING_DIR: STAGING,
  ATTUNE_PACK_CACHE_DIR: join(SCRATCH, 'pack-cache'),
  ATTUNE_PACK_MAX_EXTRACTED_BYTES: String(MAX_EXTRACTED),
  ATTUNE_PACK_MAX_UPLOAD_BYTES: String(MAX_UPLOAD),
  ATTUNE_API_BODY_LIMIT: '64kb',
  ATTUNE_BCRYPT_ROUNDS: '10',
});

const GREET_PY = `import json, sys
params = json.load(sys.stdin)
print(json.dumps({"greeting": "hello " + params["name"], "runtime": "python"}))
`;
const SUM_JS = `let input = '';
process.stdin.on('data', (c) => (input += c));
process.stdin.on('end', () => {
  const p = JSON.parse(input);
  console.log(JSON.stringify({ sum: p.numbers.reduce((a, b) => a + b, 0), runtime: 'node' }));
});
`;
// Waits for its gate file, so a test decides when it finishes; says which code it is.
const slowPy = (code: string) => `import json, os, sys, time
p = json.load(sys.stdin)
deadline = time.time() + 60
while not os.path.exists(p["gate"]) and time.time() < deadline:
    time.sleep(0.05)
print(json.dumps({"code": "${code}"}))
`;

function demoPack(version: string, slowCode: string): TarEntry[] {
  return [
    { path: 'demo/', type: 'dir' },
    { path: 'demo/pack.yaml', content: `ref: ${DEMO}\nlabel: Demo\nversion: "${version}"\ndescription: e2e pack\n` },
    { path: 'demo/actions/', type: 'dir' },
    {
      path: 'demo/actions/greet.yaml',
      content: 'name: greet\nrunner_type: python\nentry_point: greet.py\noutput_format: json\nparameters:\n  name: {type: string, required: true}\n',
    },
    { path: 'demo/actions/greet.py', content: GREET_PY },
    {
      path: 'demo/actions/sum.yaml',
      content:
        `ref: ${DEMO}.sum\n` + 'runtime: node\nentrypoint: actions/sum.js\noutput_format: json\n' +
        'param_schema:\n  type: object\n  properties:\n    numbers: {type: array, items: {type: integer}}\n  required: [numbers]\n',
    },
    { path: 'demo/actions/sum.js', content: SUM_JS },
    {
      path: 'demo/actions/slow.yaml',
      content: 'name: slow\nrunner_type: python\nentry_point: slow.py\noutput_format: json\nparameters:\n  gate: {type: string, required: true}\n',
    },
    { path: 'demo/actions/slow.py', content: slowPy(slowCode) },
  ];
}

async function upload(api: ApiClient, archive: Buffer, field = 'pack') {
  const form = new FormData();
  form.append(field, new Blob([new Uint8Array(archive)]), 'pack.tar.gz');
  const res = await fetch(new URL('/api/v1/packs/upload', api.baseUrl), {
    method: 'POST',
    headers: { authorization: `Bearer ${api.token}` },
    body: form,
  });
  return { status: res.status, body: (await res.json()) as any };
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The pack archives in the blob store (fs driver). */
function storedArchives(): string[] {
  const dir = join(ROOT, 'tmp/e2e', `registry-${ctx.namespace}`, 'blobs', 'objects', 'packs', 'sha256');
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

async function waitForStatus(id: number, status: string) {
  return waitFor(
    async () => {
      const res = await ctx.api.get(`/api/v1/executions/${id}`);
      return res.body.data.status === status ? res.body.data : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 50, what: `execution ${id} to be ${status}` },
  );
}

describe('a pack uploaded as an archive', () => {
  let archive: Buffer;

  it('registers the pack and its actions, and stores the archive under its SHA-256', async () => {
    archive = await buildTarGz(demoPack('1.0.0', 'v1'));
    const res = await upload(ctx.api, archive);
    expect(res.status).toBe(201);
    const digest = sha256(archive);
    expect(res.body.data.pack).toMatchObject({ ref: DEMO, version: '1.0.0', digest, is_standard: false });
    expect(res.body.data.version).toMatchObject({ digest, size_bytes: archive.length, current: true });
    expect(res.body.data.actions.map((a: any) => [a.ref, a.runtime, a.entrypoint])).toEqual([
      [`${DEMO}.greet`, 'python', 'actions/greet.py'],
      [`${DEMO}.slow`, 'python', 'actions/slow.py'],
      [`${DEMO}.sum`, 'node', 'actions/sum.js'],
    ]);
    expect(res.body.data.warnings).toEqual([]);
    expect(storedArchives()).toContain(`${digest}.tar.gz`);
    const listed = await ctx.api.get(`/api/v1/actions?pack_ref=${DEMO}`);
    expect(listed.body.pagination.total).toBe(3);
  });

  it('runs a python and a node action that read stdin JSON, with their JSON output in result.data', async () => {
    const greet = await execute(ctx.api, `${DEMO}.greet`, { name: 'ada' });
    const sum = await execute(ctx.api, `${DEMO}.sum`, { numbers: [1, 2, 39] });
    const [g, s] = await Promise.all([waitForTerminal(ctx.api, greet.id, 30_000), waitForTerminal(ctx.api, sum.id, 30_000)]);
    expect(g.status).toBe('completed');
    expect(g.result.data).toEqual({ greeting: 'hello ada', runtime: 'python' });
    expect(s.status).toBe('completed');
    expect(s.result.data).toEqual({ sum: 42, runtime: 'node' });
    expect(g.pack_digest).toBe(sha256(archive));
  });

  it('lets a run in flight finish on the old code while new runs use the re-uploaded code', async () => {
    const gate = join(SCRATCH, `gate-${randomUUID()}`);
    const first = await execute(ctx.api, `${DEMO}.slow`, { gate });
    await waitForStatus(first.id, 'running');

    const v2 = await buildTarGz(demoPack('2.0.0', 'v2'));
    const res = await upload(ctx.api, v2);
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({ new_version: true, pack: { version: '2.0.0', digest: sha256(v2) } });

    const openGate = join(SCRATCH, `open-${randomUUID()}`);
    writeFileSync(openGate, '');
    const second = await waitForTerminal(ctx.api, (await execute(ctx.api, `${DEMO}.slow`, { gate: openGate })).id, 30_000);
    expect(second.status).toBe('completed');
    expect(second.result.data).toEqual({ code: 'v2' });
    expect(second.pack_digest).toBe(sha256(v2));

    expect((await ctx.api.get(`/api/v1/executions/${first.id}`)).body.data.status).toBe('running');
    writeFileSync(gate, '');
    const done = await waitForTerminal(ctx.api, first.id, 30_000);
    expect(done.status).toBe('completed');
    expect(done.result.data).toEqual({ code: 'v1' });
    expect(done.pack_digest).toBe(sha256(archive));

    const versions = await ctx.api.get(`/api/v1/packs/${DEMO}/versions`);
    expect(versions.body.data.map((v: any) => [v.version, v.current])).toEqual([
      ['2.0.0', true],
      ['1.0.0', false],
    ]);
  });

  it('gives the same version back for the same bytes, and serves the archive it stores', async () => {
    const again = await upload(ctx.api, archive);
    expect(again.status).toBe(201);
    expect(again.body.data.new_version).toBe(false);
    const download = await fetch(new URL(`/api/v1/packs/${DEMO}/versions/${sha256(archive)}/download`, ctx.api.baseUrl), {
      headers: { authorization: `Bearer ${ctx.api.token}` },
    });
    expect(download.status).toBe(200);
    expect(download.headers.get('x-checksum-sha256')).toBe(sha256(archive));
    expect(sha256(Buffer.from(await download.arrayBuffer()))).toBe(sha256(archive));
  });

  it('removes actions the new archive no longer has', async () => {
    const withoutSum = demoPack('3.0.0', 'v3').filter((e) => !e.path.includes('sum.'));
    const res = await upload(ctx.api, await buildTarGz(withoutSum));
    expect(res.status).toBe(201);
    expect(res.body.data.removed_actions).toEqual([`${DEMO}.sum`]);
    expect((await ctx.api.get(`/api/v1/actions/${DEMO}.sum`)).status).toBe(404);
  });
});

describe('hostile and invalid archives', () => {
  const valid: TarEntry[] = [
    { path: 'pack.yaml', content: `ref: ${EVIL}\nversion: "1"\n` },
    { path: 'actions/x.yaml', content: 'name: x\nrunner_type: shell\nentry_point: exit 0\n' },
  ];
  const cases: Array<[string, TarEntry[], number, RegExp]> = [
    ['a path with ..', [...valid, { path: '../../outside/evil.txt', content: 'pwned' }], 422, /"\.\."/],
    ['an absolute path', [...valid, { path: join(OUTSIDE, 'abs.txt'), content: 'pwned' }], 422, /absolute path/],
    ['a symbolic link out of the pack', [...valid, { path: 'escape', type: 'symlink', linkpath: OUTSIDE }], 422, /absolute path/],
    ['a relative symbolic link out of the pack', [...valid, { path: 'actions/up', type: 'symlink', linkpath: '../../..' }], 422, /outside the pack/],
    ['a write through a symbolic link', [...valid, { path: 'l', type: 'symlink', linkpath: 'actions' }, { path: 'l/y.sh', content: 'x' }], 422, /through the link/],
    ['a hard link out of the pack', [...valid, { path: 'passwd', type: 'hardlink', linkpath: '../../etc/passwd' }], 422, /outside the pack/],
    ['a huge decompressed size', [...valid, { path: 'bomb.bin', zeros: 40 * 1024 * 1024 }], 413, /expands to more than/],
  ];

  it.each(cases)('refuses %s with a clear error and leaves nothing behind', async (_name, entries, status, message) => {
    const archivesBefore = storedArchives();
    const res = await upload(ctx.api, await buildTarGz(entries));
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(status === 413 ? 'PAYLOAD_TOO_LARGE' : 'VALIDATION_ERROR');
    expect(res.body.error).toMatch(message);
    expect(readdirSync(STAGING)).toEqual([]);
    expect(readdirSync(OUTSIDE)).toEqual([]);
    expect(storedArchives()).toEqual(archivesBefore);
    expect((await ctx.api.get(`/api/v1/packs/${EVIL}`)).status).toBe(404);
  });

  it('refuses an upload over the size limit with 413', async () => {
    const big = Buffer.concat([await buildTarGz(valid), Buffer.alloc(MAX_UPLOAD + 1024, 1)]);
    const res = await upload(ctx.api, big);
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('PAYLOAD_TOO_LARGE');
    expect(readdirSync(STAGING)).toEqual([]);
  });

  it('lists every problem of an invalid pack with the file and field', async () => {
    const res = await upload(
      ctx.api,
      await buildTarGz([
        { path: 'pack.yaml', content: `ref: ${BROKEN}\nversion: "1"\n` },
        { path: 'actions/a.yaml', content: 'name: a\nrunner_type: ruby\nentry_point: a.rb\n' },
        { path: 'actions/b.yaml', content: 'name: b\nrunner_type: python\nentry_point: missing.py\n' },
        { path: 'actions/c.yaml', content: 'name: [oops\n' },
      ]),
    );
    expect(res.status).toBe(422);
    expect(res.body.details).toEqual([
      { field: 'actions/a.yaml: runtime', message: '"ruby" is not a runtime: use shell, python or node (or core.shell, core.python, core.node)' },
      { field: 'actions/b.yaml: entrypoint', message: `"missing.py" is not a file in pack "${BROKEN}"` },
      { field: 'actions/c.yaml', message: expect.stringContaining('is not valid YAML') },
    ]);
    expect((await ctx.api.get(`/api/v1/packs/${BROKEN}`)).status).toBe(404);
  });

  it('refuses what is not a pack upload: no archive, another field, not gzip, not multipart', async () => {
    expect((await upload(ctx.api, await buildTarGz(valid), 'file')).body).toMatchObject({ code: 'VALIDATION_ERROR', details: [{ field: 'file' }] });
    const notGzip = await upload(ctx.api, Buffer.from('just some text'));
    expect(notGzip.status).toBe(422);
    expect(notGzip.body.error).toContain('not a gzip-compressed tar archive');
    const json = await ctx.api.post('/api/v1/packs/upload', { pack: 'x' });
    expect(json.status).toBe(400);
    expect(readdirSync(STAGING)).toEqual([]);
  });
});

describe('packs and actions over the API', () => {
  it('creates a pack and an inline shell action, refusing duplicates and malformed refs', async () => {
    const pack = await ctx.api.post('/api/v1/packs', { ref: OPS, label: 'Ops', version: '0.1.0' });
    expect(pack.status).toBe(201);
    expect((await ctx.api.post('/api/v1/packs', { ref: OPS, label: 'Ops', version: '0.1.0' })).status).toBe(409);
    const badRef = await ctx.api.post('/api/v1/packs', { ref: 'Bad Ref', label: 'x', version: '1' });
    expect(badRef.status).toBe(422);
    expect(badRef.body.details[0].field).toBe('ref');

    const action = await ctx.api.post('/api/v1/actions', {
      ref: `${OPS}.hello`,
      pack_ref: OPS,
      runtime: 'core.shell',
      entrypoint: 'printf "hi %s" "$PARAM_WHO"',
      param_schema: { who: { type: 'string', required: true } },
    });
    expect(action.status).toBe(201);
    expect(action.body.data).toMatchObject({ ref: `${OPS}.hello`, runtime: 'shell', inline: true, param_schema: { required: ['who'] } });
    const done = await waitForTerminal(ctx.api, (await execute(ctx.api, `${OPS}.hello`, { who: 'there' })).id);
    expect(done.result.stdout).toBe('hi there');

    const noDot = await ctx.api.post('/api/v1/actions', { ref: 'nodot', runtime: 'shell', entrypoint: 'true' });
    expect(noDot.status).toBe(422);
    expect(noDot.body.details).toEqual([{ field: 'ref', message: 'ref must look like pack.name (letters, digits, _ and -)' }]);
    const unknownPack = await ctx.api.post('/api/v1/actions', { ref: 'nope.x', runtime: 'shell', entrypoint: 'true' });
    expect(unknownPack.status).toBe(422);
    expect(unknownPack.body.details).toEqual([{ field: 'ref', message: expect.stringContaining('does not exist') }]);
  });

  it('answers 422 with every failing field for missing and mistyped parameters, and 404 for an unknown action', async () => {
    const missing = await ctx.api.post('/api/v1/executions/execute', { action_ref: `${DEMO}.greet`, parameters: {} });
    expect(missing.status).toBe(422);
    expect(missing.body.details).toEqual([{ field: 'name', message: 'is required' }]);
    const wrong = await ctx.api.post('/api/v1/executions/execute', { action_ref: `${DEMO}.greet`, parameters: { name: 5, extra: true } });
    expect(wrong.status).toBe(422);
    expect(wrong.body.details).toEqual(expect.arrayContaining([{ field: 'name', message: 'must be string' }]));
    const unknown = await ctx.api.post('/api/v1/executions/execute', { action_ref: `${DEMO}.nothing` });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: `action "${DEMO}.nothing" not found`, code: 'NOT_FOUND' });
  });

  it('refuses to delete an action while an execution of it runs, and deletes it after', async () => {
    const gate = join(SCRATCH, `gate-${randomUUID()}`);
    const run = await execute(ctx.api, `${DEMO}.slow`, { gate });
    await waitForStatus(run.id, 'running');
    const refused = await ctx.api.request('DELETE', `/api/v1/actions/${DEMO}.slow`);
    expect(refused.status).toBe(409);
    expect(refused.body.details).toEqual([{ field: `${DEMO}.slow`, message: 'has unfinished executions' }]);
    writeFileSync(gate, '');
    await waitForTerminal(ctx.api, run.id, 30_000);
    expect((await ctx.api.request('DELETE', `/api/v1/actions/${DEMO}.slow`)).status).toBe(204);
    expect((await ctx.api.get(`/api/v1/actions/${DEMO}.slow`)).status).toBe(404);
  });

  it('keeps the built-in pack as it is', async () => {
    expect((await ctx.api.request('DELETE', '/api/v1/packs/core')).status).toBe(409);
    expect((await ctx.api.request('PUT', '/api/v1/actions/core.echo', { enabled: false })).status).toBe(409);
  });
});

describe('bad input everywhere', () => {
  it('answers 413 over the body limit, 400 for malformed JSON and 422 for unknown fields', async () => {
    const big = await ctx.api.post('/api/v1/packs', { ref: 'big', label: 'x'.repeat(100 * 1024), version: '1' });
    expect(big.status).toBe(413);
    expect(big.body.code).toBe('PAYLOAD_TOO_LARGE');
    const malformed = await ctx.api.request('POST', '/api/v1/actions', '{"ref": ');
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe('BAD_REQUEST');
    const unknown = await ctx.api.post('/api/v1/packs', { ref: 'unk', label: 'x', version: '1', colour: 'blue' });
    expect(unknown.status).toBe(422);
    expect(unknown.body.details).toEqual([{ field: 'colour', message: 'property colour should not exist' }]);
  });

  it('serves Swagger UI at /docs and a spec with the registry routes', async () => {
    const docs = await fetch(new URL('/docs', ctx.api.baseUrl));
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type')).toContain('text/html');
    const spec = (await ctx.api.get('/api-spec/openapi.json')).body;
    for (const path of ['/api/v1/packs/upload', '/api/v1/actions/{ref}', '/api/v1/executions/{id}/pack', '/api/v1/users/{id}', '/auth/register']) {
      expect(spec.paths[path]).toBeDefined();
    }
  });
});

describe('routing by runtime', () => {
  let shellOnly: ChildProcess | undefined;

  afterAll(async () => {
    if (shellOnly && shellOnly.exitCode === null) {
      const exited = new Promise((r) => shellOnly!.once('exit', r));
      shellOnly.kill('SIGTERM');
      await exited;
    }
  });

  it('keeps a python execution waiting in scheduled, with the reason, until a worker with python appears', async () => {
    await ctx.platform.stop('worker');
    const port = await freePort();
    shellOnly = spawn(process.execPath, [resolve(ROOT, 'dist/apps/worker/main.js')], {
      cwd: ROOT,
      env: { ...ctx.platform.env(), ATTUNE_WORKER_PORT: String(port), ATTUNE_WORKER_NAME: `shell-only-${RUN}`, ATTUNE_WORKER_RUNTIMES: 'shell' },
      stdio: 'ignore',
    });
    await waitFor(
      async () => {
        const res = await ctx.api.get('/api/v1/workers?per_page=100');
        return res.body.data.some((w: any) => w.name === `shell-only-${RUN}` && w.status === 'online' && w.runtimes.join() === 'shell');
      },
      { timeoutMs: 30_000, what: 'the shell-only worker to announce itself' },
    );

    const py = await execute(ctx.api, `${DEMO}.greet`, { name: 'later' });
    const waiting = await waitFor(
      async () => {
        const e = (await ctx.api.get(`/api/v1/executions/${py.id}`)).body.data;
        return e.status === 'scheduled' && e.waiting_reason ? e : undefined;
      },
      { timeoutMs: 15_000, what: 'the python execution to wait' },
    );
    expect(waiting.waiting_reason).toBe('waiting for a worker with runtime "python" in pool "default": none is online');

    // Shell actions still run meanwhile, on the shell-only worker.
    const sh = await waitForTerminal(ctx.api, (await execute(ctx.api, 'core.echo', { message: 'still here' })).id);
    expect(sh).toMatchObject({ status: 'completed', worker: `shell-only-${RUN}` });
    expect((await ctx.api.get(`/api/v1/executions/${py.id}`)).body.data.status).toBe('scheduled');

    await ctx.platform.start('worker');
    const done = await waitForTerminal(ctx.api, py.id, 30_000);
    expect(done.status).toBe('completed');
    expect(done.result.data).toEqual({ greeting: 'hello later', runtime: 'python' });
    expect(done.waiting_reason).toBeNull();
    expect(done.worker).not.toBe(`shell-only-${RUN}`);
  });
});
