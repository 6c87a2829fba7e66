import { waitFor } from '@attune/testing';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execute, ROOT, usePlatform, usePlatformDatabase, waitForTerminal } from './support';

// Issue 16, task artifacts in workflows (seed 004): what a task declares is stored with its
// execution's token before it ends, and a later task of the same run consumes it, checked.
// Workflows are registered with POST /api/v1/workflows and run like any action.
const RUN = randomUUID().slice(0, 8);
const PACK = `e2ewf${RUN.replace(/-/g, '')}`.slice(0, 30);
const MiB = 1024 * 1024;
// The fs driver's directory outlives a run, like the suite's database: the examples pack's
// archive, stored when the api first registered it, is looked up there by later runs.
const FS_ROOT = join(ROOT, 'tmp/e2e/task-artifacts-blobs');
/** Where the fs driver keeps an object. */
const objectFile = (key: string) => join(FS_ROOT, 'objects', ...key.split('/'));
const ctx = usePlatform('task-artifacts', { ATTUNE_STORAGE_DRIVER: 'fs', ATTUNE_STORAGE_FS_ROOT: FS_ROOT }, { database: 'task_artifacts' });
const db = usePlatformDatabase(ctx);

async function action(name: string, script: string, params?: Record<string, unknown>): Promise<string> {
  const res = await ctx.api.post('/api/v1/actions', {
    ref: `${PACK}.${name}`,
    runtime: 'shell',
    entrypoint: script,
    timeout_seconds: 600,
    ...(params ? { param_schema: params } : {}),
  });
  if (res.status !== 201) throw new Error(`action ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data.ref;
}

async function workflow(name: string, definition: Record<string, unknown>): Promise<string> {
  const ref = `${PACK}.${name}`;
  const res = await ctx.api.post('/api/v1/workflows', { ref, pack_ref: PACK, label: name, version: '1.0.0', definition });
  if (res.status !== 201) throw new Error(`workflow ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  return ref;
}

/** Runs a workflow to its end; answers the parent and its task executions by task name. */
async function runWorkflow(ref: string, parameters: Record<string, unknown> = {}, timeoutMs = 60_000) {
  const parent = await waitForTerminal(ctx.api, (await execute(ctx.api, ref, parameters)).id, timeoutMs);
  const children = (await ctx.api.get(`/api/v1/executions?parent=${parent.id}&per_page=100`)).body.data as any[];
  const tasks: Record<string, any> = {};
  for (const c of children.sort((a, b) => a.id - b.id)) tasks[c.workflow_task.task_name] = c;
  return { parent, tasks };
}

async function download(path: string, token = ctx.api.token as string): Promise<{ status: number; bytes: Buffer }> {
  const res = await fetch(new URL(path, ctx.platform.apiUrl), { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
}

/** Streams a download, answering its SHA-256 and length (nothing held whole). */
async function hashDownload(path: string): Promise<{ status: number; sha256: string; bytes: number }> {
  const res = await fetch(new URL(path, ctx.platform.apiUrl), { headers: { authorization: `Bearer ${ctx.api.token}` } });
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { status: res.status, sha256: hash.digest('hex'), bytes };
}

async function artifactsOf(run: number, task?: string): Promise<any[]> {
  const res = await ctx.api.get(`/api/v1/artifacts?workflow_execution=${run}${task ? `&task=${task}` : ''}&per_page=100`);
  expect(res.status).toBe(200);
  return res.body.data;
}

beforeAll(async () => {
  expect((await ctx.api.post('/api/v1/packs', { ref: PACK, label: 'task artifacts e2e', version: '1.0.0' })).status).toBe(201);
});

describe('acceptance 1: the CI/CD example', () => {
  it('passes app.bin from build to test and deploy byte-exact, and keeps test-report.xml', async () => {
    // The examples pack (registered at startup outside production) holds seed 004's pipeline.
    const { parent, tasks } = await runWorkflow('examples.cicd_pipeline', { target: 'staging' });
    expect(parent.status).toBe('completed');
    const [binary] = await artifactsOf(parent.id, 'build');
    expect(binary).toMatchObject({ name: 'app.bin', type: 'file_binary', execution: tasks.build.id, workflow_execution: parent.id, task_name: 'build' });
    const version = (await ctx.api.get(`/api/v1/artifacts/${binary.id}/versions/latest`)).body.data;
    // Each stage prints `sha256sum app.bin` of the file in its own work directory.
    for (const task of ['build', 'test', 'deploy']) expect(tasks[task].result.stdout).toContain(`${version.sha256}  app.bin`);
    expect(tasks.test.result.stdout).toContain('app: 3 tests passed');
    expect(tasks.deploy.result.stdout).toContain('to staging');
    const [report] = await artifactsOf(parent.id, 'test');
    expect(report).toMatchObject({ name: 'test-report.xml', type: 'file_text', execution: tasks.test.id });
    const xml = await download(`/api/v1/artifacts/${report.id}/download`);
    expect(xml.bytes.toString()).toBe(readFileSync(join(ROOT, 'packs/examples/actions/cicd_test.sh'), 'utf8').split("<<'XML'\n")[1].split('XML\n')[0]);
    // Filters by run and task give exactly these; consumed files are not kept again.
    expect((await artifactsOf(parent.id)).map((a) => a.name).sort()).toEqual(['app.bin', 'test-report.xml']);
    expect(await artifactsOf(parent.id, 'deploy')).toEqual([]);
    // And a user downloads app.bin checked against the same SHA-256.
    expect(await hashDownload(`/api/v1/artifacts/${binary.id}/download`)).toEqual({ status: 200, sha256: version.sha256, bytes: version.size_bytes });
  });
});

describe('acceptance 2: a 500 MiB artifact produced and consumed', () => {
  it('arrives byte-exact with the worker under 300 MB RSS', async () => {
    const size = 500 * MiB;
    const produce = await action('big_produce', `head -c ${size} /dev/urandom > big.bin && sha256sum big.bin`);
    const consume = await action('big_consume', 'sha256sum big.bin && stat -c %s big.bin');
    const ref = await workflow('big', {
      tasks: [
        { name: 'produce', action: produce, artifacts: [{ path: 'big.bin', required: true }] },
        { name: 'consume', action: consume, depends_on: ['produce'], consumes: ['big.bin'] },
      ],
    });
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const text = await (await fetch(`http://127.0.0.1:${ctx.platform.ports.worker}/metrics`)).text();
        const m = /^attune_process_resident_memory_bytes (\S+)$/m.exec(text);
        if (m) peak = Math.max(peak, Number(m[1]));
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const started = Date.now();
    const { parent, tasks } = await runWorkflow(ref, {}, 600_000).finally(() => (sampling = false));
    await sampler;
    const elapsed = (Date.now() - started) / 1000;
    expect(parent.status).toBe('completed');
    const kept = tasks.produce.result.artifacts[0];
    expect(kept.size_bytes).toBe(size);
    expect(tasks.produce.result.stdout).toContain(`${kept.sha256}  big.bin`);
    expect(tasks.consume.result.stdout).toContain(`${kept.sha256}  big.bin`);
    expect(tasks.consume.result.stdout).toContain(String(size));
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThan(300 * 1000 * 1000);
    // For docs/benchmarks.md: store (after produce's process) and fetch (before consume's).
    const storeSeconds = (Date.parse(tasks.produce.updated) - Date.parse(tasks.produce.started_at)) / 1000 - tasks.produce.result.duration_ms / 1000;
    const fetchSeconds = (Date.parse(tasks.consume.updated) - Date.parse(tasks.consume.started_at)) / 1000 - tasks.consume.result.duration_ms / 1000;
    process.stdout.write(
      `task-artifacts 500 MiB: workflow ${elapsed.toFixed(1)} s; store ≈${storeSeconds.toFixed(1)} s (${(500 / storeSeconds).toFixed(0)} MiB/s), ` +
        `fetch+verify ≈${fetchSeconds.toFixed(1)} s (${(500 / fetchSeconds).toFixed(0)} MiB/s); worker peak RSS ${(peak / MiB).toFixed(0)} MiB\n`,
    );
  }, 900_000);
});

describe('acceptance 3: a corrupt stored blob', () => {
  it('fails the consuming task before its process starts, naming the artifact', async () => {
    const gate = join('/tmp', `attune-e2e-gate-${RUN}`);
    const marker = join('/tmp', `attune-e2e-marker-${RUN}`);
    rmSync(gate, { force: true });
    rmSync(marker, { force: true });
    const produce = await action('corrupt_produce', 'head -c 100000 /dev/urandom > app.bin');
    // Holds the run until the test has corrupted the stored blob.
    const wait = await action('corrupt_gate', `while [ ! -e ${gate} ]; do sleep 0.1; done`);
    const consume = await action('corrupt_consume', `touch ${marker}; sha256sum app.bin`);
    const ref = await workflow('corrupt', {
      tasks: [
        { name: 'build', action: produce, artifacts: ['app.bin'] },
        { name: 'gate', action: wait, depends_on: ['build'] },
        { name: 'test', action: consume, depends_on: ['gate'], consumes: ['build.app.bin'] },
      ],
    });
    const parentId = (await execute(ctx.api, ref)).id;
    const artifact = await waitFor(async () => (await artifactsOf(parentId, 'build')).find((a) => a.latest_version !== null), {
      timeoutMs: 30_000,
      intervalMs: 50,
      what: 'the build artifact',
    });
    const version = (await ctx.api.get(`/api/v1/artifacts/${artifact.id}/versions/latest`)).body.data;
    const { rows } = await db.query('SELECT storage_key FROM artifact_blobs WHERE sha256 = $1', [version.sha256]);
    const file = objectFile(rows[0].storage_key);
    const bytes = readFileSync(file);
    bytes[5000] ^= 0xff;
    writeFileSync(file, bytes);
    writeFileSync(gate, '');
    try {
      const parent = await waitForTerminal(ctx.api, parentId, 60_000);
      expect(parent.status).toBe('failed');
      const children = (await ctx.api.get(`/api/v1/executions?parent=${parentId}`)).body.data as any[];
      const test = children.find((c) => c.workflow_task.task_name === 'test');
      expect(test.status).toBe('failed');
      expect(test.result.error).toContain('"build.app.bin"');
      expect(test.result.error).toMatch(/corrupt/);
      expect(existsSync(marker)).toBe(false);
    } finally {
      rmSync(gate, { force: true });
      rmSync(marker, { force: true });
    }
  });
});

describe("acceptance 5: a task's token and other runs", () => {
  it("cannot read another run's artifact or write to a sibling task's", async () => {
    const make = await action('scope_make', 'printf secret > app.bin');
    // The probe prints the status of each attempt made with its own execution token.
    const probe = await action(
      'scope_probe',
      [
        'api="$ATTUNE_API_URL/api/v1/artifacts"; auth="authorization: Bearer $ATTUNE_API_TOKEN"',
        'echo "foreign-read:$(curl -s -o /dev/null -w %{http_code} -H "$auth" "$api/$foreign")"',
        'echo "foreign-download:$(curl -s -o /dev/null -w %{http_code} -H "$auth" "$api/$foreign/download")"',
        'echo "foreign-list:$(curl -s -o /dev/null -w %{http_code} -H "$auth" "$api?workflow_execution=$foreign_run")"',
        'sibling=$(curl -s -H "$auth" "$api?workflow_execution=$run&task=make" | sed -n \'s/.*"id":\\([0-9]*\\).*/\\1/p\' | head -n1)',
        'echo "sibling-read:$(curl -s -o /dev/null -w %{http_code} -H "$auth" "$api/$sibling")"',
        'echo x > x.txt; echo "sibling-write:$(curl -s -o /dev/null -w %{http_code} -H "$auth" -F size=2 -F file=@x.txt "$api/$sibling/versions/upload")"',
      ].join('\n'),
      { foreign: { type: 'integer' }, foreign_run: { type: 'integer' }, run: { type: 'integer' } },
    );
    const ref = await workflow('scope', {
      parameters: { foreign: { type: 'integer', required: true }, foreign_run: { type: 'integer', required: true } },
      tasks: [
        { name: 'make', action: make, artifacts: ['app.bin'] },
        {
          name: 'probe',
          action: probe,
          depends_on: ['make'],
          input: { foreign: '{{ parameters.foreign }}', foreign_run: '{{ parameters.foreign_run }}', run: '{{ system.execution_id }}' },
        },
      ],
    });
    const first = await runWorkflow(ref, { foreign: 1, foreign_run: 1 });
    const [foreign] = await artifactsOf(first.parent.id, 'make');
    const { parent, tasks } = await runWorkflow(ref, { foreign: foreign.id, foreign_run: first.parent.id });
    expect(parent.status).toBe('completed');
    const out = tasks.probe.result.stdout as string;
    expect(out).toMatch(/foreign-read:40[34]/);
    expect(out).toMatch(/foreign-download:40[34]/);
    expect(out).toMatch(/foreign-list:40[34]/);
    expect(out).toContain('sibling-read:200');
    expect(out).toContain('sibling-write:403');
  });
});

describe('acceptance 6: artifact_compression', () => {
  it('stores a 100 MB text artifact in under 20 MB and downloads it byte-identical', async () => {
    const size = 100 * 1000 * 1000;
    const line = '2026-12-07T02:00:00Z INFO worker-1 processed request id=12345 status=200';
    const produce = await action('compress_produce', `yes "${line}" | head -c ${size} > app.log && sha256sum app.log`);
    const ref = await workflow('compress', { config: { artifact_compression: true }, tasks: [{ name: 'log', action: produce, artifacts: ['app.log'] }] });
    const { parent, tasks } = await runWorkflow(ref, {}, 300_000);
    expect(parent.status).toBe('completed');
    const kept = tasks.log.result.artifacts[0];
    expect(kept.size_bytes).toBe(size);
    expect(tasks.log.result.stdout).toContain(`${kept.sha256}  app.log`);
    const { rows } = await db.query('SELECT encoding, stored_size, storage_key FROM artifact_blobs WHERE sha256 = $1', [kept.sha256]);
    expect(rows[0].encoding).toBe('gzip');
    expect(Number(rows[0].stored_size)).toBeLessThan(20 * 1000 * 1000);
    expect(statSync(objectFile(rows[0].storage_key)).size).toBe(Number(rows[0].stored_size));
    const got = await hashDownload(`/api/v1/artifacts/${kept.artifact}/download`);
    expect(got).toEqual({ status: 200, sha256: kept.sha256, bytes: size });
    // A range of compressed content is the same bytes as of the original.
    const range = await fetch(new URL(`/api/v1/artifacts/${kept.artifact}/download`, ctx.platform.apiUrl), {
      headers: { authorization: `Bearer ${ctx.api.token}`, range: 'bytes=79-158' },
    });
    expect(range.status).toBe(206);
    expect(Buffer.from(await range.arrayBuffer()).toString()).toBe(`${line}\n`.repeat(3).slice(79, 159));
  }, 400_000);
});

describe('acceptance 7: artifact_retention 1', () => {
  it('keeps one version per artifact across re-runs of the workflow after the sweep', async () => {
    const produce = await action('retain_produce', 'date +%s%N > app.bin');
    const ref = await workflow('retain', { config: { artifact_retention: 1 }, tasks: [{ name: 'build', action: produce, artifacts: ['app.bin'] }] });
    const first = await runWorkflow(ref);
    const second = await runWorkflow(ref);
    expect([first.parent.status, second.parent.status]).toEqual(['completed', 'completed']);
    const [kept] = await artifactsOf(second.parent.id, 'build');
    expect(kept).toMatchObject({ name: 'app.bin', retention_policy: 'versions', retention_limit: 1, latest_version: 1 });
    // The first run's version is gone (and its artifact with it): one version of app.bin remains.
    await waitFor(async () => ((await artifactsOf(first.parent.id)).length === 0 ? true : undefined), {
      timeoutMs: 30_000,
      intervalMs: 100,
      what: "the first run's artifact to be swept",
    });
    const { rows } = await db.query(
      `SELECT count(*)::int AS n FROM artifact_versions v JOIN artifacts a ON a.id = v.artifact
        WHERE a.name = 'app.bin' AND a.task_name = 'build' AND a.workflow_execution = ANY($1::bigint[])`,
      [[first.parent.id, second.parent.id]],
    );
    expect(rows[0].n).toBe(1);
  });
});
