import { ApiClient, waitFor } from '@attune/testing';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { execute, ROOT, usePlatform, waitForTerminal } from './support';

/**
 * Security probes of issue 13 (isolation and artifact integrity): M2 (actions cannot see each
 * other or the worker), M3 (artifact writes: the reserved execution. namespace, logs, an
 * execution's artifacts), M6 (ranges stream, the scrub catches rot) and L11 (private fs blobs).
 * Each sends the probe and asserts the refusal. The worker runs as root here, so each action
 * runs as a uid of its own.
 *
 * A database of its own: the integrity scrub runs every half second here and visits every blob
 * row, and other suites' blobs are not in this platform's store.
 */

const RUN = Date.now().toString(36);
const CANARY = `worker-canary-${RUN}`;
const SECRET = `hunter2-${randomBytes(6).toString('hex')}`;
const PACK = `iso${RUN}`;
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

const ctx = usePlatform(
  'security-isolation',
  // A preview that holds the scanner's whole report.
  { ISOLATION_CANARY: CANARY, ATTUNE_BLOB_SCRUB_INTERVAL_MS: '500', ATTUNE_RESULT_PREVIEW_CHARS: '20000' },
  { database: 'isolation' },
);
let base: string;

beforeAll(async () => {
  base = join(ROOT, 'tmp/e2e', `security-isolation-${ctx.namespace}`);
  expect((await ctx.api.post('/api/v1/packs', { ref: PACK, label: 'Isolation probes', version: '0.1.0' })).status).toBe(201);
});

/** The full stdout log of an execution so far. */
async function stdoutOf(id: number): Promise<string> {
  const res = await fetch(`${ctx.platform.apiUrl}/api/v1/executions/${id}/logs/stdout`, { headers: { authorization: `Bearer ${ctx.api.token}` } });
  return res.status === 200 ? await res.text() : '';
}

/** Effective uids of the processes on this host (the test runs beside the worker). */
function uidsOnHost(): Set<number> {
  const uids = new Set<number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      uids.add(statSync(`/proc/${name}`).uid);
    } catch {
      // gone meanwhile
    }
  }
  return uids;
}

async function registerOperator(): Promise<ApiClient> {
  const login = `operator-${RUN}-${randomBytes(3).toString('hex')}@example.com`;
  const client = new ApiClient(ctx.platform.apiUrl);
  const reg = await client.post('/auth/register', { login, password: 'operator password 1', display_name: login });
  expect(reg.status).toBe(200);
  client.token = reg.body.data.access_token;
  expect((await ctx.api.request('PUT', `/api/v1/users/${reg.body.data.user.id}`, { roles: ['operator'] })).status).toBe(200);
  await client.login(login, 'operator password 1');
  return client;
}

async function upload(client: ApiClient, artifactId: number, content: Buffer): Promise<{ status: number; body: any }> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(content)]), 'data.bin');
  const res = await fetch(`${ctx.platform.apiUrl}/api/v1/artifacts/${artifactId}/versions/upload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${client.token}` },
    body: form,
  });
  return { status: res.status, body: await res.json() };
}

async function blobKey(digest: string): Promise<string> {
  const db = new pg.Client({ connectionString: ctx.databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query(`SELECT storage_key FROM artifact_blobs WHERE sha256 = $1`, [digest]);
    return rows[0].storage_key as string;
  } finally {
    await db.end();
  }
}

describe('M2: an action sees neither another running action nor the worker', () => {
  it('keeps a secret-holding action out of reach of one that scans /proc/*/environ and the file system', async () => {
    const holderAction = await ctx.api.post('/api/v1/actions', {
      ref: `${PACK}.holder`,
      pack_ref: PACK,
      runtime: 'shell',
      // Reports where it lives and (hashed) its token, then holds them until cancelled.
      entrypoint: 'echo "uid=$(id -u) dir=$PWD token_sha=$(printf %s "$ATTUNE_API_TOKEN" | sha256sum | cut -c1-64)"; exec sleep 120',
      param_schema: { secret_value: { type: 'string', secret: true }, note: { type: 'string' } },
      timeout_seconds: 300,
    });
    expect(holderAction.status).toBe(201);
    const holder = await execute(ctx.api, `${PACK}.holder`, { secret_value: SECRET, note: `note-${SECRET}` });
    const info = await waitFor(
      async () => /uid=(\d+) dir=(\S+) token_sha=([0-9a-f]{64})/.exec(await stdoutOf(holder.id)) ?? undefined,
      { timeoutMs: 20_000, intervalMs: 100, what: 'the holder to report' },
    );
    const [, holderUid, holderDir, holderTokenSha] = info;
    expect(Number(holderUid)).toBeGreaterThan(0);

    const workerPid = ctx.platform.processOf('worker')?.pid;
    const workRoot = join(base, 'work');
    const scan = [
      'echo "me uid=$(id -u) dir=$PWD"',
      'echo "own params: $(cat parameters.json)"',
      // Every environment it can read, including its own (which proves the scan works).
      `for f in /proc/[0-9]*/environ; do tr '\\0' '\\n' < "$f" 2>/dev/null; echo; done | grep -E '^(ATTUNE_API_TOKEN|ISOLATION_CANARY|PARAM_|secret_value|note)=' | sed 's/^/environ: /'`,
      `find '${workRoot}' /tmp -name parameters.json 2>/dev/null | while read -r f; do echo "found: $f"; cat "$f" 2>&1; echo; done`,
      `echo "worker environ: $({ tr '\\0' ' ' < /proc/${workerPid}/environ; } 2>&1)"`,
      `echo "holder dir: $(ls '${holderDir}' 2>&1)"`,
      `echo "holder params: $(cat '${holderDir}/parameters.json' 2>&1)"`,
      'echo END-OF-SCAN',
    ].join('\n');
    const scanner = await waitForTerminal(ctx.api, (await execute(ctx.api, 'core.local', { cmd: scan }, { timeout_seconds: 120 })).id, 120_000);
    expect(scanner.status).toBe('completed');
    // What the worker captured from the pipe (the preview is set large enough to hold it all).
    const out: string = scanner.result.stdout;
    expect(out).toMatch(/END-OF-SCAN\n$/);

    const me = /me uid=(\d+) dir=(\S+)/.exec(out);
    expect(me).not.toBeNull();
    expect(Number(me![1])).toBeGreaterThan(0);
    expect(me![1]).not.toBe(holderUid);
    // It found its own token and parameter file, and nothing of the holder's or the worker's.
    const tokens = [...out.matchAll(/^environ: ATTUNE_API_TOKEN=(\S+)$/gm)].map((m) => m[1]);
    expect(tokens.length).toBeGreaterThanOrEqual(1);
    expect(tokens.map((t) => sha256(t))).not.toContain(holderTokenSha);
    expect(out).toContain('own params: {"cmd":');
    // The work root cannot be listed: find reaches no parameter file there, not even its own.
    for (const [, found] of out.matchAll(/^found: (.+)$/gm)) expect(found.startsWith(`${me![2]}/`)).toBe(true);
    expect(out).not.toContain(SECRET);
    expect(out).not.toContain(CANARY);
    expect(out).toMatch(/worker environ: .*Permission denied/);
    expect(out).toMatch(/holder dir: .*Permission denied/);
    expect(out).toMatch(/holder params: .*Permission denied/);

    // The worker (root) still stops a process of another uid, and nothing of that uid is left.
    expect((await ctx.api.post(`/api/v1/executions/${holder.id}/cancel`)).status).toBeLessThan(300);
    expect((await waitForTerminal(ctx.api, holder.id, 30_000)).status).toBe('cancelled');
    await waitFor(() => (uidsOnHost().has(Number(holderUid)) ? undefined : true), { timeoutMs: 10_000, what: `uid ${holderUid} to be gone` });
  }, 180_000);

  it('runs python and node actions as a run uid too, with HOME in their own work dir', async () => {
    const done = await waitForTerminal(
      ctx.api,
      (
        await execute(ctx.api, 'core.local', {
          cmd: `python3 -c 'import os; print("py", os.getuid(), os.environ["HOME"] == os.getcwd())' && node -e 'console.log("node", process.getuid(), process.env.HOME === process.cwd())'`,
        })
      ).id,
      60_000,
    );
    expect(done.status).toBe('completed');
    expect(done.result.stdout).toMatch(/^py [1-9]\d* True\nnode [1-9]\d* true\n$/);
  });
});

describe('M3: artifact writes', () => {
  it("refuses refs in the execution. namespace and links to an execution from an operator; an execution's token writes its own", async () => {
    const operator = await registerOperator();
    const someId = (await waitForTerminal(ctx.api, (await execute(ctx.api, 'core.local', { cmd: 'echo victim' })).id)).id;
    for (const client of [operator, ctx.api]) {
      const forged = await client.post('/api/v1/artifacts', { ref: `execution.${someId + 5}.stdout`, type: 'file_text' });
      expect(forged.status).toBe(422);
      expect(forged.body).toMatchObject({ code: 'VALIDATION_ERROR', details: [expect.objectContaining({ field: 'ref' })] });
    }
    const linked = await operator.post('/api/v1/artifacts', { ref: `${PACK}.attach-${RUN}`, type: 'file_text', execution: someId });
    expect(linked.status).toBe(403);
    const own = await operator.post('/api/v1/artifacts', { ref: `${PACK}.own-${RUN}`, type: 'file_text' });
    expect(own.status).toBe(201);
    expect(own.body.data.created_by).toBe((await operator.get('/auth/me')).body.data.login);
    const attributed = await upload(operator, own.body.data.id, Buffer.from('mine'));
    expect(attributed.status).toBe(201);
    const pinned = await fetch(`${ctx.platform.apiUrl}/api/v1/artifacts/${own.body.data.id}/versions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${operator.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ content: { a: 1 }, execution: someId }),
    });
    expect(pinned.status).toBe(403);

    // From inside an action, with its execution token.
    const probe = `cat > probe.js <<'EOF'
const h = { authorization: 'Bearer ' + process.env.ATTUNE_API_TOKEN, 'content-type': 'application/json' };
const id = Number(process.env.ATTUNE_EXEC_ID);
const post = (body) => fetch(process.env.ATTUNE_API_URL + '/api/v1/artifacts', { method: 'POST', headers: h, body: JSON.stringify(body) });
(async () => {
  const reserved = await post({ ref: 'execution.' + (id + 5) + '.stdout', type: 'file_text' });
  const own = await post({ ref: '${PACK}.tok-' + id, type: 'file_text' });
  const body = await own.json();
  console.log('PROBE ' + JSON.stringify({ reserved: reserved.status, own: own.status, execution: body.data.execution, created_by: body.data.created_by }));
})();
EOF
node probe.js`;
    const done = await waitForTerminal(ctx.api, (await execute(ctx.api, 'core.local', { cmd: probe })).id, 30_000);
    expect(done.result.stdout).toContain(`PROBE ${JSON.stringify({ reserved: 422, own: 201, execution: done.id, created_by: `execution:${done.id}` })}`);
  });

  it("refuses versions to a log from anyone, an operator's change of a log's or an execution's artifact, and lets an admin change them", async () => {
    const operator = await registerOperator();
    const run = await waitForTerminal(ctx.api, (await execute(ctx.api, 'core.local', { cmd: 'echo the original log' })).id);
    // The log artifact is made when artifact-store joins the stream's chunks, just after the run.
    const log = await waitFor(async () => (await ctx.api.get(`/api/v1/artifacts/ref/execution.${run.id}.stdout`)).body.data, {
      timeoutMs: 15_000,
      what: `the log artifact of execution ${run.id}`,
    });
    expect(log).toMatchObject({ execution: run.id, created_by: 'platform' });
    for (const client of [operator, ctx.api]) {
      const forged = await upload(client, log.id, Buffer.from('forged log'));
      expect(forged.status).toBe(403);
      expect(forged.body.error).toContain('only the platform writes it');
    }
    expect((await operator.request('PUT', `/api/v1/artifacts/${log.id}`, { retention_policy: 'versions', retention_limit: 1 })).status).toBe(403);
    expect((await ctx.api.request('PUT', `/api/v1/artifacts/${log.id}`, { retention_policy: 'versions', retention_limit: 3 })).status).toBe(200);
    expect(await stdoutOf(run.id)).toBe('the original log\n');

    const linked = await ctx.api.post('/api/v1/artifacts', { ref: `${PACK}.linked-${RUN}`, type: 'file_text', execution: run.id });
    expect(linked.status).toBe(201);
    expect((await upload(operator, linked.body.data.id, Buffer.from('tamper'))).status).toBe(403);
    expect((await operator.request('PUT', `/api/v1/artifacts/${linked.body.data.id}`, { retention_limit: 1, retention_policy: 'versions' })).status).toBe(403);
    const byAdmin = await upload(ctx.api, linked.body.data.id, Buffer.from('by the admin'));
    expect(byAdmin.status).toBe(201);
    expect(byAdmin.body.data.created_by).toBe('test@attune.local');
  });
});

describe('M6 and L11: stored blobs', () => {
  it('keeps fs blobs 0600 in 0700 directories', async () => {
    const a = await ctx.api.post('/api/v1/artifacts', { ref: `${PACK}.perm-${RUN}`, type: 'file_binary' });
    const v = await upload(ctx.api, a.body.data.id, randomBytes(1000));
    const key = await blobKey(v.body.data.sha256);
    const blobs = join(base, 'blobs');
    expect((await stat(join(blobs, 'objects', ...key.split('/')))).mode & 0o777).toBe(0o600);
    let dir = join(blobs, 'objects', ...key.split('/').slice(0, -1));
    for (; dir.startsWith(blobs); dir = join(dir, '..')) expect([dir, (await stat(dir)).mode & 0o777]).toEqual([dir, 0o700]);
  });

  it('serves a range of a big version, and refuses a blob the scrub found rotten on disk, whole or in part', async () => {
    const a = await ctx.api.post('/api/v1/artifacts', { ref: `${PACK}.rot-${RUN}`, type: 'file_binary' });
    const content = randomBytes(8 * 1024 * 1024);
    const v = await upload(ctx.api, a.body.data.id, content);
    expect(v.status).toBe(201);
    const url = `${ctx.platform.apiUrl}/api/v1/artifacts/${a.body.data.id}/download`;
    const auth = { authorization: `Bearer ${ctx.api.token}` };
    const first = await fetch(url, { headers: { ...auth, range: 'bytes=0-0' } });
    expect(first.status).toBe(206);
    expect(Buffer.from(await first.arrayBuffer())).toEqual(content.subarray(0, 1));

    // Bit rot behind the store's back: same size, other bytes.
    await writeFile(join(base, 'blobs', 'objects', ...(await blobKey(v.body.data.sha256)).split('/')), randomBytes(content.length));
    const refused = await waitFor(
      async () => {
        const res = await fetch(url, { headers: { ...auth, range: 'bytes=0-0' } });
        return res.status === 503 ? res.json() : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250, what: 'the scrub to find the rotten blob' },
    );
    expect(refused).toMatchObject({ code: 'SERVICE_UNAVAILABLE', details: { reason: 'CORRUPT_CONTENT', sha256: v.body.data.sha256 } });
    expect((await fetch(url, { headers: auth })).status).toBe(503);

    // The same content uploaded again replaces the rotten object.
    expect((await upload(ctx.api, a.body.data.id, content)).status).toBe(201);
    const healed = await fetch(url, { headers: auth });
    expect(healed.status).toBe(200);
    expect(sha256(Buffer.from(await healed.arrayBuffer()))).toBe(v.body.data.sha256);
  }, 60_000);
});
