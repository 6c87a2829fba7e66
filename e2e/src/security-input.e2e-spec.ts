import { ApiClient, buildTarGz, type TarEntry, waitFor } from '@attune/testing';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execute, ROOT, usePlatform, usePlatformDatabase, waitForTerminal } from './support';

// Issue 13, the secrets, input and pattern items (H1, M1, M4, L4, L5, L13): each probe of the
// review sent again against the running platform, and refused.

const MASK = '********';
const RUN = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;
const PACK = `secin${RUN}`;
const WEBHOOK_BURST = 5;
const ctx = usePlatform('security-input', {
  ATTUNE_SECRETS_KEY: randomBytes(32).toString('hex'),
  ATTUNE_WEBHOOK_RATE_LIMIT_BURST: String(WEBHOOK_BURST),
  ATTUNE_WEBHOOK_RATE_LIMIT_PER_SECOND: '1',
});
const db = usePlatformDatabase(ctx);
let viewer: ApiClient;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const anonymous = () => new ApiClient(ctx.platform.apiUrl);

beforeAll(async () => {
  expect((await ctx.api.post('/api/v1/packs', { ref: PACK, label: 'Security input e2e', version: '1.0.0' })).status).toBe(201);
  const login = `viewer-${RUN}`;
  const created = await ctx.api.post('/api/v1/users', { login, password: 'viewer pass 1', roles: ['viewer'] });
  expect(created.status).toBe(201);
  viewer = new ApiClient(ctx.platform.apiUrl);
  await viewer.login(login, 'viewer pass 1');
});

async function createAction(name: string, entrypoint: string, paramSchema: Record<string, unknown>) {
  const res = await ctx.api.post('/api/v1/actions', { ref: `${PACK}.${name}`, pack_ref: PACK, runtime: 'shell', entrypoint, param_schema: paramSchema });
  if (res.status !== 201) throw new Error(`action ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data;
}

async function webhookTrigger(name: string): Promise<{ ref: string; webhook_key: string }> {
  const ref = `${PACK}.${name}`;
  expect((await ctx.api.post('/api/v1/triggers', { ref, label: name })).status).toBe(201);
  const enabled = await ctx.api.post(`/api/v1/triggers/${ref}/webhooks/enable`);
  expect(enabled.status).toBe(200);
  return enabled.body.data;
}

function rule(name: string, body: Record<string, unknown>) {
  return ctx.api.post('/api/v1/rules', { ref: `${PACK}.${name}`, label: name, ...body });
}

const fireWebhook = (key: string, body: unknown, headers: Record<string, string> = {}) =>
  anonymous().request('POST', `/api/v1/webhooks/${key}`, body, headers);

async function processedEvent(id: number, timeoutMs = 20_000): Promise<any> {
  return waitFor(async () => {
    const e = (await ctx.api.get(`/api/v1/events/${id}`)).body.data;
    return e?.processed_at ? e : undefined;
  }, { timeoutMs, intervalMs: 20, what: `event ${id} to be processed` });
}

// The action prints the SHA-256 of the secret it received (never the secret) and whether any
// environment variable holds it (secrets reach the process on stdin and in the parameter file only).
const HASH_ACTION =
  `node -e 'const fs=require("fs");const p=JSON.parse(fs.readFileSync(process.env.ATTUNE_PARAMETER_FILE,"utf8"));` +
  `const s=String(p.token);const h=require("crypto").createHash("sha256").update(s).digest("hex");` +
  `console.log(h+" env="+Object.values(process.env).some((v)=>v.includes(s)))'`;

describe('H1: secret parameters', () => {
  beforeAll(async () => {
    await createAction('hash', HASH_ACTION, {
      type: 'object',
      properties: { token: { type: 'string', secret: true }, label: { type: 'string' } },
      required: ['token'],
    });
  });

  it('reach the action, while the API shows viewers only the mask and the database holds no plain text', async () => {
    const secret = `s3cr3t-${randomBytes(12).toString('hex')}`;
    const started = await execute(ctx.api, `${PACK}.hash`, { token: secret, label: 'visible' });
    expect(started.config).toEqual({ token: MASK, label: 'visible' });
    const done = await waitForTerminal(ctx.api, started.id, 30_000);
    expect(done.status).toBe('completed');
    expect(done.result.stdout.trim()).toBe(`${sha256(secret)} env=false`);

    const one = await viewer.get(`/api/v1/executions/${started.id}`);
    expect(one.status).toBe(200);
    expect(one.body.data.config).toEqual({ token: MASK, label: 'visible' });
    const list = await viewer.get(`/api/v1/executions?action_ref=${PACK}.hash&per_page=100`);
    expect(list.status).toBe(200);
    const listed = list.body.data.find((e: { id: number }) => e.id === started.id);
    expect(listed.config.token).toBe(MASK);
    for (const body of [one.body, list.body, done]) expect(JSON.stringify(body)).not.toContain(secret);

    const row = await db.query(`SELECT to_jsonb(e)::text AS row, secret_parameters FROM executions e WHERE id = $1`, [started.id]);
    expect(row.rows[0].row).not.toContain(secret);
    expect(row.rows[0].secret_parameters).toMatch(/^v1\./);
  });

  it('rendered by a rule stay out of the enforcement and the execution record', async () => {
    const trigger = await webhookTrigger('secret_hook');
    const created = await rule('secret_rule', {
      trigger_ref: trigger.ref,
      action_ref: `${PACK}.hash`,
      action_params: { token: '{{ event.payload.t }}', label: 'from a rule' },
    });
    expect(created.status).toBe(201);
    const secret = `hook-${randomBytes(12).toString('hex')}`;
    const fired = await fireWebhook(trigger.webhook_key, { payload: { t: secret } });
    expect(fired.status).toBeLessThan(300);
    await processedEvent(fired.body.data.event_id);
    const enforcements = (await viewer.get(`/api/v1/enforcements?event=${fired.body.data.event_id}`)).body.data;
    expect(enforcements).toHaveLength(1);
    expect(enforcements[0].config).toEqual({ token: MASK, label: 'from a rule' });
    expect(JSON.stringify(enforcements)).not.toContain(secret);
    const executions = (await viewer.get(`/api/v1/executions?enforcement=${enforcements[0].id}`)).body.data;
    expect(executions).toHaveLength(1);
    const done = await waitForTerminal(ctx.api, executions[0].id, 30_000);
    expect(done.config.token).toBe(MASK);
    expect(done.result.stdout.trim()).toBe(`${sha256(secret)} env=false`);
    const rows = await db.query(`SELECT to_jsonb(n)::text AS row FROM enforcements n WHERE id = $1`, [enforcements[0].id]);
    expect(rows.rows[0].row).not.toContain(secret);
    const exec = await db.query(`SELECT config::text AS config FROM executions WHERE id = $1`, [executions[0].id]);
    expect(exec.rows[0].config).not.toContain(secret);
  });
});

describe('M1: user patterns run in linear time', () => {
  it('a rule matching ^(a|a)*$ against 40 a and a ! holds up neither the event nor other executions', async () => {
    const trigger = await webhookTrigger('redos_hook');
    const created = await rule('redos_rule', {
      trigger_ref: trigger.ref,
      action_ref: 'core.noop',
      conditions: [{ field: 'event.payload.s', operator: 'matches', value: '^(a|a)*$' }],
    });
    expect(created.status).toBe(201);
    const before = await Promise.all(Array.from({ length: 3 }, (_, i) => execute(ctx.api, 'core.echo', { message: `before ${i}` })));
    const started = Date.now();
    const fired = await fireWebhook(trigger.webhook_key, { payload: { s: `${'a'.repeat(40)}!` } });
    expect(fired.status).toBeLessThan(300);
    const after = await Promise.all(Array.from({ length: 3 }, (_, i) => execute(ctx.api, 'core.echo', { message: `after ${i}` })));
    for (const e of [...before, ...after]) expect((await waitForTerminal(ctx.api, e.id, 15_000)).status).toBe('completed');
    const event = await processedEvent(fired.body.data.event_id, 10_000);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect((await ctx.api.get(`/api/v1/enforcements?event=${event.id}`)).body.data).toEqual([]);
    // The same pattern still matches what it should.
    const matching = await fireWebhook(trigger.webhook_key, { payload: { s: 'aaaa' } });
    await processedEvent(matching.body.data.event_id);
    expect((await ctx.api.get(`/api/v1/enforcements?event=${matching.body.data.event_id}`)).body.data).toHaveLength(1);
  });

  it('refuses with 422, when saved, patterns the linear engine cannot run', async () => {
    const trigger = await webhookTrigger('pattern_hook');
    for (const pattern of ['(a)\\1', '(?=a)b', '(?<!a)b']) {
      const res = await rule(`bad_${sha256(pattern).slice(0, 6)}`, {
        trigger_ref: trigger.ref,
        action_ref: 'core.noop',
        conditions: [{ field: 'event.payload.s', operator: 'matches', value: pattern }],
      });
      expect(res.status).toBe(422);
      expect(res.body.details).toEqual([{ field: 'conditions[0].value', message: expect.stringContaining('not supported') }]);
    }
    const action = await ctx.api.post('/api/v1/actions', {
      ref: `${PACK}.lookbehind`, pack_ref: PACK, runtime: 'shell', entrypoint: 'true',
      param_schema: { type: 'object', properties: { s: { type: 'string', pattern: '(?<=a)b' } } },
    });
    expect(action.status).toBe(422);
    expect(JSON.stringify(action.body.details)).toContain('param_schema');
    const packed = await uploadPack([
      { path: 'p/pack.yaml', content: `ref: backref${RUN}\nlabel: B\nversion: "1.0.0"\n` },
      { path: 'p/actions/a.yaml', content: 'name: a\nrunner_type: shell\nentry_point: "true"\nparameters:\n  s: {type: string, pattern: "(x+)\\\\1"}\n' },
    ]);
    expect(packed.status).toBe(422);
  });

  it('runs JSON Schema patterns on parameters in linear time too', async () => {
    await createAction('patterned', 'true', { type: 'object', properties: { s: { type: 'string', pattern: '^(a|a)*$' } } });
    const started = Date.now();
    const res = await ctx.api.post('/api/v1/executions/execute', { action_ref: `${PACK}.patterned`, parameters: { s: `${'a'.repeat(40)}!` } });
    expect(res.status).toBe(422);
    expect(res.body.details).toEqual([{ field: 's', message: expect.stringContaining('must match pattern') }]);
    expect(Date.now() - started).toBeLessThan(2000);
    expect((await ctx.api.post('/api/v1/executions/execute', { action_ref: `${PACK}.patterned`, parameters: { s: 'aaa' } })).status).toBe(201);
  });
});

describe('M4: environment injection and undeclared parameters', () => {
  it('refuses env_vars that change how an interpreter, the shell or the loader starts, and bad names', async () => {
    const names = [
      'NODE_OPTIONS', 'BASH_ENV', 'ENV', 'LD_AUDIT', 'LD_PRELOAD', 'GCONV_PATH', 'PYTHONSTARTUP', 'PYTHONPATH', 'PERL5OPT', 'RUBYOPT',
      'HTTPS_PROXY', 'HTTP_PROXY', 'ALL_PROXY', 'IFS', 'SHELLOPTS', 'GLIBC_TUNABLES', 'ATTUNE_API_URL', 'PARAM_X', 'PATH', 'HOME',
      'http_proxy', 'lower', '1ABC', 'A-B',
    ];
    for (const name of names) {
      const res = await ctx.api.post('/api/v1/executions/execute', { action_ref: 'core.noop', env_vars: { [name]: 'x' } });
      expect([name, res.status]).toEqual([name, 422]);
      expect(res.body.details).toEqual([{ field: `env_vars.${name}`, message: expect.any(String) }]);
    }
  });

  it('still passes ordinary variables to the process', async () => {
    await createAction('greet_env', 'printf "%s" "$GREETING"', { type: 'object', properties: {} });
    const started = await execute(ctx.api, `${PACK}.greet_env`, {}, { env_vars: { GREETING: 'hello' } });
    expect((await waitForTerminal(ctx.api, started.id)).result.stdout).toBe('hello');
  });

  it('refuses an undeclared parameter, naming it, unless the schema allows more', async () => {
    const res = await ctx.api.post('/api/v1/executions/execute', { action_ref: 'core.echo', parameters: { mesage: 'hi' } });
    expect(res.status).toBe(422);
    expect(res.body.details).toEqual([{ field: 'mesage', message: 'is not a parameter of this action' }]);
    const ruled = await rule('undeclared_rule', { trigger_ref: (await webhookTrigger('undeclared_hook')).ref, action_ref: 'core.echo', action_params: { NODE_OPTIONS: 'x' } });
    expect(ruled.status).toBe(422);
    expect(ruled.body.details).toEqual([{ field: 'action_params.NODE_OPTIONS', message: 'is not a parameter of this action' }]);
    await createAction('open', 'printf "%s" "$PARAM_EXTRA"', { type: 'object', properties: {}, additionalProperties: true });
    const open = await execute(ctx.api, `${PACK}.open`, { extra: 'ok' });
    expect((await waitForTerminal(ctx.api, open.id)).result.stdout).toBe('ok');
  });

  it('the CLI shows the 422 naming the misspelt parameter', async () => {
    const cli = join(ROOT, 'dist/apps/cli/main.js');
    expect(existsSync(cli)).toBe(true);
    const home = mkdtempSync(join(tmpdir(), 'attune-secin-cli-'));
    try {
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, ATTUNE_CONFIG_DIR: home, ATTUNE_PASSWORD: 'TestPass123!' };
      const login = await runCli(['login', '--url', ctx.platform.apiUrl, '--username', 'test@attune.local'], env);
      expect(login.code).toBe(0);
      const r = await runCli(['run', 'core.echo', 'mesage=hi'], env);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('mesage');
      expect(r.stderr).toContain('is not a parameter of this action');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('L4: webhook bodies are read after the key, size and rate checks', () => {
  it('answers 404 for an unknown key without parsing its body', async () => {
    const res = await fireWebhook('a'.repeat(40), '{not json', { 'content-type': 'application/json' });
    expect(res.status).toBe(404);
  });

  it('answers 413 from the declared size before the body is sent', async () => {
    const trigger = await webhookTrigger('size_hook');
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${ctx.platform.apiUrl}/api/v1/webhooks/${trigger.webhook_key}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': String(50 * 1024 * 1024) },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', reject);
      // Headers only: the 413 must come without a byte of the body.
      req.flushHeaders();
    });
    expect(status).toBe(413);
  });

  it('limits calls per key with 429 and Retry-After, leaving other keys alone', async () => {
    const noisy = await webhookTrigger('noisy_hook');
    const quiet = await webhookTrigger('quiet_hook');
    const answers = [];
    for (let i = 0; i < WEBHOOK_BURST + 3; i++) answers.push(await fireWebhook(noisy.webhook_key, { payload: { i } }));
    expect(answers.slice(0, WEBHOOK_BURST).every((r) => r.status < 300)).toBe(true);
    const limited = answers.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(2);
    expect(Number(limited[0].headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited[0].body.code).toBe('TOO_MANY_REQUESTS');
    expect((await fireWebhook(quiet.webhook_key, { payload: {} })).status).toBeLessThan(300);
  });
});

describe('L5: links in pack archives are resolved through chains', () => {
  it('refuses a chain of links that leaves the pack', async () => {
    const res = await uploadPack([
      { path: 'p/pack.yaml', content: `ref: chain${RUN}\nlabel: C\nversion: "1.0.0"\n` },
      { path: 'p/a/', type: 'dir' },
      { path: 'p/a/b/', type: 'dir' },
      { path: 'p/a/b/l', type: 'symlink', linkpath: '..' },
      { path: 'p/c', type: 'symlink', linkpath: 'a/b/l/../../..' }, // lexically p/a, really the parent of the pack
    ]);
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.body)).toContain('outside the pack');
    expect((await ctx.api.get(`/api/v1/packs/chain${RUN}`)).status).toBe(404);
  });
});

describe('L13: templates in a command parameter', () => {
  it('refuses a rule that templates event text into core.local cmd, and accepts a literal command', async () => {
    const trigger = await webhookTrigger('cmd_hook');
    for (const cmd of ['echo {{ event.payload.msg }}', '{{ event.payload.cmd }}']) {
      const res = await rule(`cmd_${sha256(cmd).slice(0, 6)}`, { trigger_ref: trigger.ref, action_ref: 'core.local', action_params: { cmd } });
      expect(res.status).toBe(422);
      expect(res.body.details).toEqual([{ field: 'action_params.cmd', message: expect.stringContaining('may not hold a template') }]);
    }
    expect((await rule('cmd_literal', { trigger_ref: trigger.ref, action_ref: 'core.local', action_params: { cmd: 'true' } })).status).toBe(201);
  });
});

async function uploadPack(entries: TarEntry[]) {
  const form = new FormData();
  form.append('pack', new Blob([new Uint8Array(await buildTarGz(entries))]), 'pack.tar.gz');
  const res = await fetch(new URL('/api/v1/packs/upload', ctx.platform.apiUrl), {
    method: 'POST',
    headers: { authorization: `Bearer ${ctx.api.token}` },
    body: form,
  });
  return { status: res.status, body: (await res.json()) as any };
}

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'dist/apps/cli/main.js'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
