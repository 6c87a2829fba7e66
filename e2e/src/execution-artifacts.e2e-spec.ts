import type { ExecutionResult } from '@attune/api-client';
import { ApiClient, waitFor } from '@attune/testing';
import { DEVELOPMENT_JWT_SECRET } from '@attune/service-kit';
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { execute, usePlatform, waitForTerminal } from './support';

// Issue 16, task artifacts without a workflow: the files a plain execution declares or leaves in
// ATTUNE_ARTIFACTS_DIR become its artifacts before it turns terminal (acceptance 4), and the
// scope of a workflow task's execution token over artifacts (acceptance 5, with tokens signed as
// the executor signs a task's: the engine sets the same claims).
const RUN = randomUUID().slice(0, 8);
const PACK = `e2eart${RUN.replace(/-/g, '')}`.slice(0, 30);
const ctx = usePlatform('execution-artifacts', {}, { database: 'exec_artifacts' });

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const b64url = (v: Buffer | string) => Buffer.from(v).toString('base64url');

/** An execution token as the executor mints one (HS256, the development secret); a workflow task's names its run and task. */
function executionToken(executionId: number, task?: { run: number; name: string }): string {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    typ: 'execution',
    sub: `execution:${executionId}`,
    execution_id: executionId,
    ...(task ? { workflow_execution: task.run, task_name: task.name } : {}),
    iat: now,
    exp: now + 300,
  };
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify(claims));
  return `${head}.${body}.${b64url(createHmac('sha256', DEVELOPMENT_JWT_SECRET).update(`${head}.${body}`).digest())}`;
}
const taskToken = (executionId: number, run: number, name: string) => executionToken(executionId, { run, name });

async function download(path: string, token = ctx.api.token as string): Promise<{ status: number; bytes: Buffer; sha?: string | null }> {
  const res = await fetch(new URL(path, ctx.platform.apiUrl), { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()), sha: res.headers.get('x-checksum-sha256') };
}

async function upload(artifactId: number, content: string, token: string): Promise<{ status: number; body: any }> {
  const form = new FormData();
  form.set('size', String(Buffer.byteLength(content)));
  form.set('file', new Blob([content]), 'f.txt');
  const res = await fetch(new URL(`/api/v1/artifacts/${artifactId}/versions/upload`, ctx.platform.apiUrl), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  return { status: res.status, body: await res.json() };
}

async function action(name: string, script: string, artifacts: unknown[]): Promise<string> {
  const res = await ctx.api.post('/api/v1/actions', { ref: `${PACK}.${name}`, runtime: 'shell', entrypoint: script, artifacts });
  if (res.status !== 201) throw new Error(`action ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data.ref;
}

beforeAll(async () => {
  const pack = await ctx.api.post('/api/v1/packs', { ref: PACK, label: 'task artifacts e2e', version: '1.0.0' });
  expect(pack.status).toBe(201);
});

describe('acceptance 4: the files of a plain execution become its artifacts', () => {
  it('keeps declared files (paths and globs) and everything left in ATTUNE_ARTIFACTS_DIR, stored before the execution is terminal', async () => {
    const ref = await action(
      'produce',
      [
        'printf "report for $ATTUNE_EXEC_ID" > report.txt',
        'mkdir -p dist && head -c 300000 /dev/urandom > dist/app.bin && sha256sum dist/app.bin > app.sha',
        'printf "left behind" > "$ATTUNE_ARTIFACTS_DIR/notes.txt"',
        'mkdir -p "$ATTUNE_ARTIFACTS_DIR/sub" && printf "deep" > "$ATTUNE_ARTIFACTS_DIR/sub/deep.log"',
        // A link the action leaves is never followed: the worker would read outside the work directory.
        'ln -s /etc/passwd "$ATTUNE_ARTIFACTS_DIR/passwd" && ln -s /etc/hostname linked.txt',
        'printf ok > on-success.txt',
        'cat app.sha',
      ].join('\n'),
      [
        'report.txt',
        { path: 'dist/*.bin', required: true, type: 'file_binary' },
        { path: 'maybe/*.txt' },
        { path: 'linked.txt' },
        { path: 'on-success.txt', when: 'success', name: 'success-marker' },
      ],
    );
    const created = await execute(ctx.api, ref);
    const done = await waitForTerminal(ctx.api, created.id, 30_000);
    expect(done.status).toBe('completed');
    // Terminal means complete: everything is listed and downloadable the moment the status is terminal.
    expect(done.result.artifacts_missing).toEqual(['maybe/*.txt', 'linked.txt']);
    const kept = done.result.artifacts as NonNullable<ExecutionResult['artifacts']>;
    expect(kept.map((k) => [k.name, k.path]).sort()).toEqual(
      [
        ['report.txt', 'report.txt'],
        ['app.bin', 'dist/app.bin'],
        ['success-marker', 'on-success.txt'],
        ['notes.txt', 'artifacts/notes.txt'],
        ['sub/deep.log', 'artifacts/sub/deep.log'],
      ].sort(),
    );
    const listed = await ctx.api.get(`/api/v1/executions/${created.id}/artifacts`);
    expect(listed.body.data.filter((a: any) => a.origin !== 'log').map((a: any) => a.name).sort()).toEqual(['app.bin', 'notes.txt', 'report.txt', 'sub/deep.log', 'success-marker']);
    const report = await download(`/api/v1/artifacts/${kept.find((k) => k.name === 'report.txt')!.artifact}/download`);
    expect(report.bytes.toString()).toBe(`report for ${created.id}`);
    const app = kept.find((k) => k.name === 'app.bin')!;
    const bin = await download(`/api/v1/artifacts/${app.artifact}/versions/${app.version}/download`);
    expect(bin.bytes.length).toBe(300_000);
    expect(sha256(bin.bytes)).toBe(app.sha256);
    // The action's own sha256sum of the file it wrote is what was stored.
    expect(done.result.stdout).toContain(app.sha256);
    const meta = await ctx.api.get(`/api/v1/artifacts/${app.artifact}`);
    expect(meta.body.data).toMatchObject({ type: 'file_binary', execution: created.id, origin: 'action', workflow_execution: null, task_name: null });
  });

  it('fails the execution when a required file is missing, naming it', async () => {
    const ref = await action('norequired', 'printf partial > other.txt', [{ path: 'build/report.xml', name: 'report', required: true }, 'other.txt']);
    const done = await waitForTerminal(ctx.api, (await execute(ctx.api, ref)).id, 30_000);
    expect(done.status).toBe('failed');
    expect(done.result.succeeded).toBe(false);
    expect(done.result.error).toContain('required artifact "report" was not produced');
    expect(done.result.error).toContain('build/report.xml');
    // What was produced is still kept.
    expect(done.result.artifacts.map((a: any) => a.name)).toEqual(['other.txt']);
  });

  it('lists a missing optional file in artifacts_missing, and keeps when: success files only on success', async () => {
    const ref = await action('failing', 'printf a > always.txt; printf b > good.txt; exit 3', [
      'always.txt',
      { path: 'good.txt', when: 'success' },
      { path: 'absent.txt', required: false },
    ]);
    const done = await waitForTerminal(ctx.api, (await execute(ctx.api, ref)).id, 30_000);
    expect(done.status).toBe('failed');
    expect(done.result.error).toBe('Command exited with code 3');
    expect(done.result.artifacts.map((a: any) => a.name)).toEqual(['always.txt']);
    expect(done.result.artifacts_missing).toEqual(['absent.txt']);
  });

  it('refuses bad declarations when the action is saved (422 naming each field)', async () => {
    const res = await ctx.api.post('/api/v1/actions', {
      ref: `${PACK}.bad`,
      runtime: 'shell',
      entrypoint: 'true',
      artifacts: ['../up.txt', { path: 'x', when: 'sometimes' }],
    });
    expect(res.status).toBe(422);
    expect(res.body.details.map((d: any) => d.field)).toEqual(['artifacts[0]', 'artifacts[1].when']);
  });
});

describe("acceptance 5 (token scope): a workflow task's token reads its own run's artifacts and writes only its own", () => {
  it('reads a sibling task artifact of its run, never another run, and writes nothing but its own', async () => {
    // Five running executions stand for two runs (their parents) and three tasks: their tokens
    // are valid while they run, exactly as a task's is.
    const [runA, runB, build, test, other] = await Promise.all([1, 2, 3, 4, 5].map(() => execute(ctx.api, 'core.sleep', { seconds: 60 })));
    try {
      const buildToken = new ApiClient(ctx.platform.apiUrl, taskToken(build.id, runA.id, 'build'));
      const testToken = taskToken(test.id, runA.id, 'test');
      const otherToken = taskToken(other.id, runB.id, 'build');
      await Promise.all([build, test, other].map((e) => waitForRunning(e.id)));

      const made = await buildToken.post('/api/v1/artifacts', { ref: `e2e.${RUN}.app`, type: 'file_binary', name: 'app.bin' });
      expect(made.status).toBe(201);
      expect(made.body.data).toMatchObject({ execution: build.id, workflow_execution: runA.id, task_name: 'build' });
      const id = made.body.data.id;
      expect((await upload(id, 'the binary', buildToken.token!)).status).toBe(201);

      // The test task of the same run reads it (metadata, versions, bytes) and finds it by run and task.
      const testClient = new ApiClient(ctx.platform.apiUrl, testToken);
      expect((await testClient.get(`/api/v1/artifacts/${id}`)).status).toBe(200);
      expect((await testClient.get(`/api/v1/artifacts/${id}/versions/latest`)).body.data.sha256).toBe(sha256('the binary'));
      const bytes = await download(`/api/v1/artifacts/${id}/download`, testToken);
      expect([bytes.status, bytes.bytes.toString()]).toEqual([200, 'the binary']);
      const byRun = await testClient.get(`/api/v1/artifacts?workflow_execution=${runA.id}&task=build`);
      expect(byRun.body.data.map((a: any) => a.id)).toEqual([id]);
      // ...but writes to it no version, no progress, and links nothing to the build task.
      expect((await upload(id, 'tampered', testToken)).status).toBe(403);
      expect((await testClient.post('/api/v1/artifacts', { ref: `e2e.${RUN}.x`, type: 'file_text', execution: build.id })).status).toBe(403);
      const own = await testClient.post('/api/v1/artifacts', { ref: `e2e.${RUN}.report`, type: 'file_text', name: 'test-report.xml' });
      expect(own.body.data).toMatchObject({ execution: test.id, workflow_execution: runA.id, task_name: 'test' });

      // A task of another run reaches nothing of run A.
      const otherClient = new ApiClient(ctx.platform.apiUrl, otherToken);
      expect([403, 404]).toContain((await otherClient.get(`/api/v1/artifacts/${id}`)).status);
      expect([403, 404]).toContain((await download(`/api/v1/artifacts/${id}/download`, otherToken)).status);
      expect([403, 404]).toContain((await otherClient.get(`/api/v1/artifacts/${id}/versions`)).status);
      expect((await otherClient.get(`/api/v1/artifacts?workflow_execution=${runA.id}`)).status).toBe(403);
      expect((await upload(id, 'tampered', otherToken)).status).toBe(403);
      // A plain execution's token (no run) reaches only its own execution's artifacts.
      const plain = new ApiClient(ctx.platform.apiUrl, executionToken(other.id));
      expect((await plain.get(`/api/v1/artifacts?workflow_execution=${runA.id}`)).status).toBe(403);
      expect([403, 404]).toContain((await plain.get(`/api/v1/artifacts/${id}`)).status);

      // Users filter by run and task.
      const all = await ctx.api.get(`/api/v1/artifacts?workflow_execution=${runA.id}`);
      expect(all.body.data.map((a: any) => a.name).sort()).toEqual(['app.bin', 'test-report.xml']);
      const tests = await ctx.api.get(`/api/v1/artifacts?workflow_execution=${runA.id}&task=test`);
      expect(tests.body.data.map((a: any) => a.name)).toEqual(['test-report.xml']);
      expect((await ctx.api.get(`/api/v1/artifacts?workflow_execution=${runB.id}`)).body.data).toEqual([]);
      expect((await ctx.api.get('/api/v1/artifacts?workflow_execution=abc')).status).toBe(422);
    } finally {
      await Promise.all([runA, runB, build, test, other].map((e) => ctx.api.post(`/api/v1/executions/${e.id}/cancel`)));
    }
  }, 60_000);
});

async function waitForRunning(id: number): Promise<void> {
  await waitFor(async () => ((await ctx.api.get(`/api/v1/executions/${id}`)).body.data.status === 'running' ? true : undefined), {
    timeoutMs: 20_000,
    intervalMs: 50,
    what: `execution ${id} to run`,
  });
}
