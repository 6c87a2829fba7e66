import { ApiClient, waitFor } from '@attune/testing';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execute, ROOT, usePlatform, waitForTerminal } from './support';

/**
 * The operator's surface (issue 19): API keys, who ran what, artifact origins, and the CLI's
 * nouns, over HTTP and through the built CLI (dist/apps/cli/main.js), on a database of its own.
 */

const CLI = join(ROOT, 'dist/apps/cli/main.js');
const suffix = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;
const OPERATOR = `Op-${suffix}@Example.com`;
const PASSWORD = 'Operator-Pass-1';

const ctx = usePlatform('operator', {}, { database: 'operator' });
let tmp: string;
let configDir: string;
let operator: ApiClient;
let pack: string;
let trigger: { ref: string; webhook_key: string };
let rule: { ref: string };
let adminKey: string;
/** The CLI's environment as an administrator's script: an API key, no login. */
const admin = () => ({ ATTUNE_URL: ctx.platform.apiUrl, ATTUNE_TOKEN: adminKey });

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI as a child process. Only the environment given (plus PATH and HOME) reaches it. */
function cli(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: tmp,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmp, ATTUNE_CONFIG_DIR: configDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

async function cliJson(args: string[], env: Record<string, string> = {}): Promise<any> {
  const r = await cli([...args, '--json'], env);
  if (r.code !== 0) throw new Error(`attune ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/**
 * The CLI on a real terminal of `columns` columns: `script` gives it a pseudo-terminal, whose
 * size `stty` sets; the CLI reads the width from the terminal itself (no COLUMNS).
 */
function cliOnTty(args: string[], columns: number, env: Record<string, string>): Promise<CliResult> {
  const quoted = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('script', ['-qfec', `stty cols ${columns} rows 50; ${quoted}`, '/dev/null'], {
    cwd: tmp,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmp, ATTUNE_CONFIG_DIR: configDir, TERM: 'xterm', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr: '' })));
}

const plain = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '').replace(/\r/g, '');

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'attune-operator-'));
  configDir = join(tmp, 'config');
  const created = await ctx.api.post('/api/v1/users', { login: OPERATOR, password: PASSWORD, roles: ['operator'] });
  expect(created.status).toBe(201);
  operator = new ApiClient(ctx.platform.apiUrl);
  // Logins are case-insensitive: the account signs in whatever the case typed.
  await operator.login(OPERATOR.toLowerCase(), PASSWORD);

  pack = `op${suffix}`;
  expect((await ctx.api.post('/api/v1/packs', { ref: pack, label: 'Operator e2e', version: '1.0.0' })).status).toBe(201);
  const t = await ctx.api.post('/api/v1/triggers', { ref: `${pack}.alert`, label: 'Alert' });
  expect(t.status).toBe(201);
  trigger = (await ctx.api.post(`/api/v1/triggers/${pack}.alert/webhooks/enable`)).body.data;
  const r = await ctx.api.post('/api/v1/rules', {
    ref: `${pack}.echo_alerts`,
    label: 'Echo every alert, with a label long enough to need cutting at eighty columns of terminal',
    trigger_ref: trigger.ref,
    action_ref: 'core.echo',
    action_params: { message: '{{ event.payload.host }} is down' },
  });
  expect(r.status).toBe(201);
  rule = r.body.data;
  adminKey = (await ctx.api.post('/api/v1/api-keys', { name: 'cli-admin' })).body.data.key;
}, 180_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('undeclared parameters', () => {
  it('answers 422 naming a misspelled parameter, over the API and in the CLI', async () => {
    const res = await operator.post('/api/v1/executions/execute', { action_ref: 'core.echo', parameters: { mesage: 'hi' } });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('VALIDATION_ERROR');
    expect(JSON.stringify(res.body.details)).toContain('mesage');

    const key = (await operator.post('/api/v1/api-keys', { name: 'typo' })).body.data.key;
    const r = await cli(['run', 'core.echo', 'mesage=hi', '--wait'], { ATTUNE_URL: ctx.platform.apiUrl, ATTUNE_TOKEN: key });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('mesage');
    expect(r.stdout).not.toContain('Hello World');
  });
});

describe('API keys', () => {
  it('are shown once, used as Bearer tokens, listed without their secret, and refused once revoked', async () => {
    const created = await operator.post('/api/v1/api-keys', { name: 'ci-deploy', expires_in: 3600 });
    expect(created.status).toBe(201);
    const key: string = created.body.data.key;
    expect(key).toMatch(/^atk_[A-Za-z0-9_-]{40}$/);
    expect(created.body.data).toMatchObject({ name: 'ci-deploy', role: null, prefix: key.slice(0, 12), owner: OPERATOR, last_used: null });
    expect(Date.parse(created.body.data.expires_at) - Date.now()).toBeGreaterThan(3500_000);

    const withKey = new ApiClient(ctx.platform.apiUrl, key);
    expect((await withKey.get('/auth/me')).body.data).toMatchObject({ login: OPERATOR, roles: ['operator'] });
    const run = await execute(withKey, 'core.echo', { message: 'from a key' });
    expect(run.executor_login).toBe(OPERATOR);

    const list = await operator.get('/api/v1/api-keys');
    expect(list.status).toBe(200);
    const listed = list.body.data.find((k: any) => k.id === created.body.data.id);
    expect(listed).toMatchObject({ name: 'ci-deploy', prefix: key.slice(0, 12), role: null });
    expect(Object.keys(listed).sort()).toEqual(['created', 'expires_at', 'id', 'last_used', 'name', 'owner', 'prefix', 'role']);
    expect(listed.last_used).toEqual(expect.any(String));
    expect(JSON.stringify(list.body)).not.toContain(key.slice(12));

    expect((await operator.request('DELETE', `/api/v1/api-keys/${created.body.data.id}`)).status).toBe(204);
    const after = await withKey.get('/auth/me');
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('UNAUTHORIZED');
    expect((await operator.get('/api/v1/api-keys')).body.data.map((k: any) => k.id)).not.toContain(created.body.data.id);
  });

  it('never have more rights than their creator', async () => {
    const tooMuch = await operator.post('/api/v1/api-keys', { name: 'escalate', role: 'admin' });
    expect(tooMuch.status).toBe(403);
    const viewerKey = (await operator.post('/api/v1/api-keys', { name: 'read-only', role: 'viewer' })).body.data.key;
    const viewer = new ApiClient(ctx.platform.apiUrl, viewerKey);
    expect((await viewer.get('/api/v1/executions')).status).toBe(200);
    expect((await viewer.post('/api/v1/executions/execute', { action_ref: 'core.noop' })).status).toBe(403);
    // A key cannot mint keys (they would outlive its revocation).
    expect((await viewer.post('/api/v1/api-keys', { name: 'child' })).status).toBe(403);
    // Someone else's key is not there for an operator to revoke.
    const adminKey = (await ctx.api.post('/api/v1/api-keys', { name: 'admin-own' })).body.data;
    expect((await operator.request('DELETE', `/api/v1/api-keys/${adminKey.id}`)).status).toBe(404);
  });

  it('let the CLI work with only ATTUNE_URL and ATTUNE_TOKEN set, and manage keys with attune key', async () => {
    const env = { ATTUNE_URL: ctx.platform.apiUrl, ATTUNE_TOKEN: (await operator.post('/api/v1/api-keys', { name: 'cli' })).body.data.key };
    const me = await cliJson(['whoami'], env);
    expect(me).toMatchObject({ login: OPERATOR, url: ctx.platform.apiUrl });
    const run = await cli(['run', 'core.echo', 'message=hello from CI', '--wait'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('hello from CI');
    expect(readdirSync(tmp)).not.toContain('config');

    // attune key, signed in as the operator.
    const login = await cli(['login', '--url', ctx.platform.apiUrl, '--username', OPERATOR, '--password', PASSWORD]);
    expect(login.code).toBe(0);
    const made = await cli(['api-key', 'create', 'from-cli', '--role', 'viewer', '--expires-in', '30d']);
    expect(made.code).toBe(0);
    const secret = made.stdout.trim();
    expect(secret).toMatch(/^atk_/);
    expect(made.stderr).toContain('only time it is shown');
    const listed = await cliJson(['api-key', 'list']);
    const mine = listed.find((k: any) => k.name === 'from-cli');
    expect(mine).toMatchObject({ role: 'viewer', prefix: secret.slice(0, 12) });
    expect(JSON.stringify(listed)).not.toContain(secret);
    expect((await cli(['api-key', 'revoke', String(mine.id)])).code).toBe(0);
    const refused = await cli(['whoami'], { ATTUNE_URL: ctx.platform.apiUrl, ATTUNE_TOKEN: secret });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('ATTUNE_TOKEN was refused');
  });
});

describe('who ran an execution', () => {
  it('is the user or the key owner, null for rule runs, and a filter', async () => {
    const byAdmin = await execute(ctx.api, 'core.echo', { message: 'admin' });
    expect(byAdmin.executor_login).toBe('test@attune.local');
    const byOperator = await execute(operator, 'core.echo', { message: 'operator' });
    expect((await operator.get(`/api/v1/executions/${byOperator.id}`)).body.data.executor_login).toBe(OPERATOR);

    const fired = await new ApiClient(ctx.platform.apiUrl).request('POST', `/api/v1/webhooks/${trigger.webhook_key}`, { payload: { host: 'web-1' } });
    expect(fired.status).toBe(200);
    const enforcement = await waitFor(
      async () => (await ctx.api.get(`/api/v1/enforcements?event=${fired.body.data.event_id}`)).body.data.find((e: any) => e.executions?.length),
      { timeoutMs: 30_000, what: 'the rule to start an execution' },
    );
    const byRule = await waitForTerminal(ctx.api, enforcement.executions[0]);
    expect(byRule).toMatchObject({ executor_login: null, executor: null, enforcement: enforcement.id });

    // Case-insensitive, like logins.
    const mine = await ctx.api.get(`/api/v1/executions?executor_login=${encodeURIComponent(OPERATOR.toUpperCase())}&per_page=100`);
    expect(mine.status).toBe(200);
    expect(mine.body.data.length).toBeGreaterThan(0);
    expect(mine.body.data.every((e: any) => e.executor_login === OPERATOR)).toBe(true);
    expect(mine.body.data.map((e: any) => e.id)).toContain(byOperator.id);
    expect(mine.body.data.map((e: any) => e.id)).not.toContain(byAdmin.id);

    const ofRule = await ctx.api.get(`/api/v1/executions?enforcement=${enforcement.id}`);
    expect(ofRule.body.data.map((e: any) => e.id)).toEqual([byRule.id]);
    const after = await ctx.api.get(`/api/v1/executions?created_after=${encodeURIComponent(byOperator.created)}&per_page=100`);
    expect(after.body.data.map((e: any) => e.id)).not.toContain(byAdmin.id);
    expect(after.body.data.map((e: any) => e.id)).toContain(byRule.id);
    expect((await ctx.api.get('/api/v1/executions?created_before=yesterday')).status).toBe(422);

    const listed = await cliJson(['execution', 'list', '--user', OPERATOR.toLowerCase()], admin());
    expect(listed.length).toBe(mine.body.data.length);
    expect(listed.every((e: any) => e.executor_login === OPERATOR)).toBe(true);
  });
});

describe('artifact origins', () => {
  it('leaves execution logs out of the artifact list unless asked', async () => {
    const done = await waitForTerminal(ctx.api, (await execute(ctx.api, 'core.echo', { message: 'logged' })).id);
    const made = await ctx.api.post('/api/v1/artifacts', { ref: `op.${suffix}.report`, type: 'file_text', execution: done.id });
    expect(made.body.data.origin).toBe('user');
    const plainList = await ctx.api.get(`/api/v1/artifacts?execution=${done.id}`);
    expect(plainList.body.data.map((a: any) => a.origin)).toEqual(['user']);
    const logs = await ctx.api.get(`/api/v1/artifacts?execution=${done.id}&origin=log`);
    expect(logs.body.data.map((a: any) => a.ref)).toEqual([`execution.${done.id}.stdout`]);
    const all = await ctx.api.get(`/api/v1/artifacts?execution=${done.id}&origin=all`);
    expect(all.body.data.map((a: any) => a.origin).sort()).toEqual(['log', 'user']);
    expect((await ctx.api.get('/api/v1/artifacts?origin=logs')).status).toBe(422);
    // The execution still links its logs.
    expect((await ctx.api.get(`/api/v1/executions/${done.id}/artifacts`)).body.data.map((a: any) => a.origin).sort()).toEqual(['log', 'user']);
  });
});

describe('the CLI for rules, triggers, events, enforcements, users, workers and keys', () => {
  it('lists each noun as JSON and shows one', async () => {
    const rules = await cliJson(['rule', 'list', '--pack', pack], admin());
    expect(rules.map((r: any) => r.ref)).toEqual([rule.ref]);
    expect(await cliJson(['rule', 'show', rule.ref], admin())).toMatchObject({ ref: rule.ref, trigger_ref: trigger.ref, action_ref: 'core.echo' });

    const triggers = await cliJson(['trigger', 'list', '--pack', pack], admin());
    expect(triggers.map((t: any) => t.ref)).toEqual([trigger.ref]);
    const shownTrigger = await cli(['trigger', 'show', trigger.ref], admin());
    expect(shownTrigger.stdout).toContain(`/api/v1/webhooks/${trigger.webhook_key}`);

    const events = await cliJson(['event', 'list', '--trigger', trigger.ref], admin());
    expect(events.length).toBeGreaterThan(0);
    const event = await cliJson(['event', 'show', String(events[0].id)], admin());
    expect(event).toMatchObject({ id: events[0].id, trigger_ref: trigger.ref, payload: { host: 'web-1' } });
    const eventPage = await cli(['event', 'show', String(events[0].id)], admin());
    expect(eventPage.stdout).toContain('Enforcements:');
    expect(eventPage.stdout).toContain(rule.ref);

    const enforcements = await cliJson(['enforcement', 'list', '--rule', rule.ref], admin());
    expect(enforcements.length).toBeGreaterThan(0);
    expect(await cliJson(['enforcement', 'show', String(enforcements[0].id)], admin())).toMatchObject({ rule_ref: rule.ref });

    const users = await cliJson(['user', 'list'], admin());
    const op = users.find((u: any) => u.login === OPERATOR);
    expect(op).toMatchObject({ roles: ['operator'] });
    expect(await cliJson(['user', 'show', String(op.id)], admin())).toMatchObject({ login: OPERATOR });

    const workers = await cliJson(['worker', 'list'], admin());
    expect(workers.length).toBeGreaterThan(0);
    expect(workers[0]).toMatchObject({ status: 'online', runtimes: expect.arrayContaining(['shell']) });

    const keys = await cliJson(['api-key', 'list'], admin());
    expect(keys.map((k: any) => k.name)).toContain('cli-admin');
  });

  it('enables and disables a rule, and suggests the ref meant', async () => {
    expect((await cliJson(['rule', 'disable', rule.ref], admin())).enabled).toBe(false);
    expect((await ctx.api.get(`/api/v1/rules/${rule.ref}`)).body.data.enabled).toBe(false);
    expect((await cliJson(['rule', 'enable', rule.ref], admin())).enabled).toBe(true);
    const typo = await cli(['rule', 'show', rule.ref.replace('echo_alerts', 'echo_alert')], admin());
    expect(typo.code).toBe(4);
    // The database outlives a run: rules of earlier runs may come close too.
    expect(typo.stderr).toMatch(/Did you mean "[^"]+"( or "[^"]+")*\?/);
    expect(typo.stderr).toContain(`"${rule.ref}"`);
    const action = await cli(['run', 'core.ehco'], admin());
    expect(action.code).toBe(4);
    expect(action.stderr).toContain('Did you mean "core.echo"?');
  });

  it('fits every table in a terminal of 80 columns, with coloured statuses', async () => {
    // Long cells: an execution of an action with a long ref, by a long login.
    await execute(operator, 'core.echo', { message: 'x'.repeat(200) });
    for (const args of [['execution', 'list'], ['rule', 'list'], ['trigger', 'list'], ['event', 'list'], ['enforcement', 'list'], ['user', 'list'], ['worker', 'list'], ['api-key', 'list'], ['action', 'list'], ['rule', 'show', rule.ref]]) {
      const r = await cliOnTty(args, 80, admin());
      const lines = plain(r.stdout).split('\n').filter(Boolean);
      expect({ args, code: r.code }).toEqual({ args, code: 0 });
      expect(lines.length).toBeGreaterThan(1);
      const over = lines.filter((l) => [...l].length > 80);
      expect({ args, over }).toEqual({ args, over: [] });
    }
    const executions = await cliOnTty(['execution', 'list'], 80, admin());
    expect(executions.stdout).toMatch(/\x1b\[32mcompleted\x1b\[0m/);
    // --wide: everything at full width, however wide.
    const wide = await cliOnTty(['rule', 'list', '--wide'], 80, admin());
    expect(plain(wide.stdout)).toContain('long enough to need cutting at eighty columns of terminal');
    // Into a pipe: no colour escapes.
    expect((await cli(['execution', 'list'], admin())).stdout).not.toContain('\x1b[');
  });

  it('follows logs to the end with the status and exit code, and re-runs an execution', async () => {
    const failing = await execute(operator, 'core.local', { cmd: 'echo before; exit 3' });
    const followed = await cli(['execution', 'logs', String(failing.id), '--follow'], admin());
    expect(followed.stdout).toBe('before\n');
    expect(followed.stderr).toMatch(new RegExp(`Execution ${failing.id} failed .*\\(exit code 3\\)`));
    expect(followed.code).toBe(1);

    const again = await cli(['execution', 're-run', String(failing.id), '--wait', '--json'], admin());
    expect(again.code).toBe(1);
    const rerun = JSON.parse(again.stdout);
    expect(rerun).toMatchObject({ action_ref: 'core.local', config: { cmd: 'echo before; exit 3' }, status: 'failed' });
    expect(rerun.id).not.toBe(failing.id);
    const changed = await cliJson(['execution', 're-run', String(failing.id), 'cmd=echo fixed', '--wait'], admin());
    expect(changed).toMatchObject({ status: 'completed', config: { cmd: 'echo fixed' } });
  });

  it('says on Ctrl-C during --follow that the run goes on, and how to cancel it', async () => {
    const long = await execute(operator, 'core.local', { cmd: 'echo started; sleep 30' });
    const child = spawn(process.execPath, [CLI, 'execution', 'logs', String(long.id), '--follow'], {
      cwd: tmp,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmp, ...admin() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    // Interrupt once the tail is open and has delivered the first line.
    await waitFor(async () => (stdout.includes('started') ? true : undefined), { timeoutMs: 20_000, what: 'the follower to show the first line' });
    child.kill('SIGINT');
    expect(await closed).toBe(130);
    expect(stderr).toContain(`Stopped following execution ${long.id}; it keeps running on the server.`);
    expect(stderr).toContain(`attune execution cancel ${long.id}`);
    expect((await ctx.api.get(`/api/v1/executions/${long.id}`)).body.data.status).toBe('running');
    expect((await ctx.api.post(`/api/v1/executions/${long.id}/cancel`)).status).toBe(200);
  });

  it('writes a download to stdout with -o -, and never overwrites without --force', async () => {
    const art = (await ctx.api.post('/api/v1/artifacts', { ref: `op.${suffix}.notes`, type: 'file_text', name: 'notes.txt' })).body.data;
    const form = new FormData();
    form.append('file', new Blob(['the notes\n']), 'notes.txt');
    const up = await fetch(`${ctx.platform.apiUrl}/api/v1/artifacts/${art.id}/versions/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ctx.api.token}` },
      body: form,
    });
    expect(up.status).toBe(201);
    const out = await cli(['artifact', 'download', art.ref, '-o', '-'], admin());
    expect(out).toMatchObject({ code: 0, stdout: 'the notes\n' });
    expect((await cli(['artifact', 'download', art.ref], admin())).code).toBe(0);
    const again = await cli(['artifact', 'download', art.ref], admin());
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('--force');
    expect((await cli(['artifact', 'download', art.ref, '--force'], admin())).code).toBe(0);
  });
});
