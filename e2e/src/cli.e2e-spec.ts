import { buildTarGz, freePort, waitFor } from '@attune/testing';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, usePlatform, waitForTerminal } from './support';

/**
 * The `attune` CLI as a user runs it: the built bundle (dist/apps/cli/main.js) as a child
 * process against the whole platform, with its own config directory (ATTUNE_CONFIG_DIR).
 */

const CLI = join(ROOT, 'dist/apps/cli/main.js');
const MB = 1000 * 1000;
const run = Date.now().toString(36);
const PACK = `cli_e2e_${run}`;
const OWNER = `cli-e2e-${run}`;

let tmp: string;
let configDir: string;

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Peak resident memory of the CLI process (VmHWM), sampled while it ran. */
  peakRssBytes: number;
}

interface CliOptions {
  input?: string;
  configDir?: string;
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
}

function cliEnv(opts: CliOptions): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: tmp,
    ATTUNE_CONFIG_DIR: opts.configDir ?? configDir,
    ...opts.env,
  };
}

/** Starts the CLI; `result` settles when it exits. */
function startCli(args: string[], opts: CliOptions = {}): { child: ChildProcess; out: () => string; err: () => string; result: Promise<CliResult> } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? tmp, env: cliEnv(opts), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let peak = 0;
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  child.stdin!.on('error', () => undefined);
  child.stdin!.end(opts.input ?? '');
  const sample = () => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]) * 1024);
    } catch {
      /* exited */
    }
  };
  const sampler = setInterval(sample, 25);
  const timeout = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
  const result = new Promise<CliResult>((resolve) => {
    child.on('exit', () => sample());
    child.on('close', (code) => {
      clearInterval(sampler);
      clearTimeout(timeout);
      resolve({ code, stdout, stderr, peakRssBytes: peak });
    });
  });
  return { child, out: () => stdout, err: () => stderr, result };
}

const cli = (args: string[], opts: CliOptions = {}) => startCli(args, opts).result;

/** Runs the CLI and parses its --json stdout, failing with its stderr when it did not exit 0. */
async function cliJson(args: string[], opts: CliOptions = {}): Promise<any> {
  const r = await cli([...args, '--json'], opts);
  if (r.code !== 0) throw new Error(`attune ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const sha256File = (path: string) =>
  new Promise<string>((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (c) => h.update(c))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });

/** A file of `size` bytes that never repeats a MiB (so nothing could pass by accident), and its SHA-256. */
async function writeTestFile(path: string, size: number): Promise<string> {
  const block = randomBytes(1024 * 1024);
  const h = createHash('sha256');
  const out = createWriteStream(path);
  for (let written = 0, i = 0; written < size; i++) {
    const chunk = Buffer.from(block.subarray(0, Math.min(block.length, size - written)));
    chunk.writeUInt32BE(i, 0);
    h.update(chunk);
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
    written += chunk.length;
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return h.digest('hex');
}

function writePack(dir: string): void {
  mkdirSync(join(dir, 'actions'), { recursive: true });
  writeFileSync(join(dir, 'pack.yaml'), `ref: ${PACK}\nlabel: CLI end-to-end\nversion: 1.0.0\ndescription: Actions the CLI tests run\n`);
  writeFileSync(
    join(dir, 'actions/lines.yaml'),
    [
      `ref: ${PACK}.lines`,
      'label: Lines',
      'description: Prints count lines (stdout) and a note (stderr), waiting for the gate file after the first line when given',
      'runner_type: shell',
      'entry_point: lines.sh',
      'parameters:',
      '  count: {type: integer, default: 3}',
      '  exit_code: {type: integer, default: 0}',
      '  gate: {type: string, default: ""}',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'actions/lines.sh'),
    [
      '#!/bin/sh',
      'echo "line 1"',
      'echo "note 1" >&2',
      'if [ -n "$gate" ]; then',
      '  waited=0',
      '  while [ ! -e "$gate" ] && [ "$waited" -lt 600 ]; do sleep 0.1; waited=$((waited + 1)); done',
      'fi',
      'i=2',
      'while [ "$i" -le "$count" ]; do echo "line $i"; i=$((i + 1)); done',
      'exit "$exit_code"',
      '',
    ].join('\n'),
  );
  chmodSync(join(dir, 'actions/lines.sh'), 0o755);
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npx nx run-many -t build --projects=api,executor,worker,artifact-store,cli)`);
  tmp = mkdtempSync(join(tmpdir(), 'attune-cli-e2e-'));
  // Actions run as their own uid: they must reach the gate files made here.
  chmodSync(tmp, 0o755);
  configDir = join(tmp, 'config');
});

const ctx = usePlatform('cli');

beforeAll(async () => {
  const login = await cli(['login', '--url', ctx.platform.apiUrl, '--username', 'test@attune.local'], { env: { ATTUNE_PASSWORD: 'TestPass123!' } });
  if (login.code !== 0) throw new Error(`login failed: ${login.stderr}`);
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  // The service logs stay for debugging; the 200 MB of blobs need not.
  if (ctx.namespace) rmSync(join(ROOT, 'tmp/e2e', `cli-${ctx.namespace}`, 'blobs'), { recursive: true, force: true });
});

// ------------------------------------------------------------------ help

const COMMANDS = [
  'login',
  'logout',
  'whoami',
  'pack',
  'pack upload',
  'pack list',
  'action',
  'action list',
  'action show',
  'run',
  'execution',
  'execution list',
  'execution show',
  'execution logs',
  'execution cancel',
  'execution manifest',
  'artifact',
  'artifact list',
  'artifact show',
  'artifact download',
  'artifact upload',
  'artifact delete',
  'artifact cleanup',
];
const GROUPS = ['pack', 'action', 'execution', 'artifact'];

describe('help', () => {
  it('documents every exit code in attune --help', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    for (const code of ['0', '1', '2', '3', '4', '5', '6', '7', '8']) expect(r.stdout).toMatch(new RegExp(`^  ${code}  \\S`, 'm'));
    expect(r.stdout).toMatch(/not logged in.*login expired/);
    expect(r.stdout).toMatch(/server could not be reached/);
    expect(r.stdout).toMatch(/checksum mismatch/);
  });

  it.each(COMMANDS)('attune %s --help explains the command (and offers --json)', async (command) => {
    const r = await cli([...command.split(' '), '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Usage: attune ${command}`);
    if (!GROUPS.includes(command)) expect(r.stdout).toContain('--json');
  });

  it('answers a usage error with exit 2, before talking to any server', async () => {
    const dir = join(tmp, 'nobody');
    for (const args of [['nope'], ['run'], ['artifact', 'cleanup'], ['artifact', 'cleanup', '--older-than', '7days'], ['execution', 'list', '--limit', '0'], ['execution', 'show', 'abc'], ['pack']]) {
      const r = await cli(args, { configDir: dir });
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr.length).toBeGreaterThan(0);
    }
  });
});

// ------------------------------------------------------------------ login and errors

describe('login, logout, whoami and the error exit codes', () => {
  it('logs in with options and ATTUNE_PASSWORD, storing the URL and tokens in a 0600 file', async () => {
    const dir = join(tmp, 'login-flags');
    const r = await cli(['login', '--url', ctx.platform.apiUrl, '--username', 'test@attune.local'], { configDir: dir, env: { ATTUNE_PASSWORD: 'TestPass123!' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`Logged in to ${ctx.platform.apiUrl} as test@attune.local.\n`);
    const file = join(dir, 'config.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    expect(saved).toMatchObject({ url: ctx.platform.apiUrl, login: 'test@attune.local', access_token: expect.any(String), refresh_token: expect.any(String) });
    const me = await cliJson(['whoami'], { configDir: dir });
    expect(me).toMatchObject({ login: 'test@attune.local', roles: ['admin'], url: ctx.platform.apiUrl });
  });

  it('asks for the URL, login and password when not given (here answered through stdin)', async () => {
    const dir = join(tmp, 'login-prompt');
    const r = await cli(['login'], { configDir: dir, input: `${ctx.platform.apiUrl}\ntest@attune.local\nTestPass123!\n` });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Server URL');
    expect(r.stderr).toContain('Password: ');
    expect(r.stderr).not.toContain('TestPass123!');
    expect((await cli(['whoami'], { configDir: dir })).stdout).toMatch(/^Login:\s+test@attune\.local$/m);
  });

  it('refuses a wrong password with exit 3 and stores nothing', async () => {
    const dir = join(tmp, 'login-wrong');
    const r = await cli(['login', '--url', ctx.platform.apiUrl, '-u', 'test@attune.local', '-p', 'wrong password'], { configDir: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/wrong login or password/);
    expect(existsSync(join(dir, 'config.json'))).toBe(false);
  });

  it('logs out: the tokens go, the URL stays, and commands then say to log in (exit 3)', async () => {
    const dir = join(tmp, 'logout');
    await cli(['login', '--url', ctx.platform.apiUrl, '-u', 'test@attune.local'], { configDir: dir, env: { ATTUNE_PASSWORD: 'TestPass123!' } });
    const r = await cli(['logout'], { configDir: dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))).toEqual({ url: ctx.platform.apiUrl });
    const after = await cli(['execution', 'list'], { configDir: dir });
    expect(after.code).toBe(3);
    expect(after.stderr).toMatch(/Not logged in: run `attune login`/);
  });

  it('refreshes an access token the server refuses, then retries (the user notices nothing)', async () => {
    const dir = join(tmp, 'refresh');
    mkdirSync(dir);
    const saved = JSON.parse(readFileSync(join(configDir, 'config.json'), 'utf8'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...saved, access_token: 'expired.or.revoked' }), { mode: 0o600 });
    const me = await cliJson(['whoami'], { configDir: dir });
    expect(me.login).toBe('test@attune.local');
    const after = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(after.access_token).not.toBe('expired.or.revoked');
    expect(statSync(join(dir, 'config.json')).mode & 0o777).toBe(0o600);
  });

  it('says the login expired (exit 3) when the refresh token is refused as well', async () => {
    const dir = join(tmp, 'expired');
    mkdirSync(dir);
    const saved = JSON.parse(readFileSync(join(configDir, 'config.json'), 'utf8'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...saved, access_token: 'x.y.z', refresh_token: 'x.y.z' }), { mode: 0o600 });
    const r = await cli(['execution', 'list'], { configDir: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/login has expired: run `attune login` again/);
  });

  it('says the server is unreachable (exit 5), naming it', async () => {
    const port = await freePort();
    const dir = join(tmp, 'unreachable');
    mkdirSync(dir);
    const saved = JSON.parse(readFileSync(join(configDir, 'config.json'), 'utf8'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...saved, url: `http://127.0.0.1:${port}` }), { mode: 0o600 });
    const r = await cli(['execution', 'list'], { configDir: dir });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(`Cannot reach the Attune server at http://127.0.0.1:${port}`);
    const login = await cli(['login', '--url', `http://127.0.0.1:${port}`, '-u', 'a', '-p', 'b'], { configDir: join(tmp, 'unreachable-login') });
    expect(login.code).toBe(5);
  });

  it('says what is missing (exit 4) for an unknown execution, artifact or action', async () => {
    for (const args of [['execution', 'show', '987654321'], ['execution', 'logs', '987654321'], ['artifact', 'show', 'no.such.artifact'], ['artifact', 'download', '987654321'], ['action', 'show', 'nope.nothing'], ['run', 'nope.nothing']]) {
      const r = await cli(args);
      expect({ args, code: r.code }).toEqual({ args, code: 4 });
      expect(r.stderr).toMatch(/not found/);
    }
  });

  it('says permission denied (exit 7) when the account lacks the role', async () => {
    const login = `viewer-${run}@attune.local`;
    const reg = await ctx.api.post('/auth/register', { login, password: 'viewer password 1' });
    expect(reg.status).toBe(200);
    const dir = join(tmp, 'viewer');
    expect((await cli(['login', '--url', ctx.platform.apiUrl, '-u', login, '-p', 'viewer password 1'], { configDir: dir })).code).toBe(0);
    expect((await cli(['action', 'list'], { configDir: dir })).code).toBe(0);
    const r = await cli(['run', 'core.noop'], { configDir: dir });
    expect(r.code).toBe(7);
  });
});

// ------------------------------------------------------------------ packs, actions, run

describe('packs, actions and run (acceptance 1)', () => {
  beforeAll(() => writePack(join(tmp, 'pack')));

  it('uploads a pack directory, then the same pack as a .tar.gz, and lists it', async () => {
    const r = await cli(['pack', 'upload', join(tmp, 'pack')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`pack ${PACK} 1.0.0: 1 action`);
    expect(r.stdout).toContain(`${PACK}.lines`);

    const files = ['pack.yaml', 'actions/lines.yaml', 'actions/lines.sh'];
    const archive = await buildTarGz(files.map((f) => ({ path: `${PACK}/${f}`, content: readFileSync(join(tmp, 'pack', f)), mode: f.endsWith('.sh') ? 0o755 : 0o644 })));
    writeFileSync(join(tmp, 'pack.tar.gz'), archive);
    const again = await cliJson(['pack', 'upload', join(tmp, 'pack.tar.gz')]);
    expect(again.pack).toMatchObject({ ref: PACK, version: '1.0.0' });
    expect(again.actions.map((a: any) => a.ref)).toEqual([`${PACK}.lines`]);

    const list = await cli(['pack', 'list', '--limit', '100']);
    expect(list.stdout).toMatch(/^REF\s+VERSION\s+LABEL\s+BUILT-IN\s+UPDATED$/m);
    expect(list.stdout).toMatch(new RegExp(`^${PACK}\\s+1\\.0\\.0\\s+CLI end-to-end\\s+no\\s`, 'm'));
    expect((await cliJson(['pack', 'list', '--limit', '100'])).map((p: any) => p.ref)).toEqual(expect.arrayContaining(['core', PACK]));
  });

  it('lists and shows the actions', async () => {
    const list = await cli(['action', 'list', '--pack', PACK]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^${PACK}\\.lines\\s+shell\\s+yes\\s+Prints count lines`, 'm'));
    const show = await cli(['action', 'show', `${PACK}.lines`]);
    expect(show.stdout).toMatch(/^Runtime:\s+shell$/m);
    expect(show.stdout).toMatch(/^count\s+integer\s+no\s+3\s/m);
    expect(show.stdout).toMatch(/^exit_code\s+integer\s+no\s+0\s/m);
    expect((await cliJson(['action', 'show', `${PACK}.lines`])).param_schema.properties).toHaveProperty('gate');
  });

  it('run prints the execution id; --quiet prints only the id; --json the execution', async () => {
    const plain = await cli(['run', `${PACK}.lines`]);
    expect(plain.code).toBe(0);
    const id = Number(/^Execution (\d+) requested \(/.exec(plain.stdout)?.[1]);
    expect(id).toBeGreaterThan(0);
    const quiet = await cli(['run', `${PACK}.lines`, '--quiet']);
    expect(quiet.stdout).toMatch(/^\d+\n$/);
    const json = await cliJson(['run', `${PACK}.lines`, 'count=2']);
    expect(json).toMatchObject({ action_ref: `${PACK}.lines`, status: 'requested', config: { count: 2, exit_code: 0 } });
    for (const e of [id, Number(quiet.stdout), json.id]) await waitForTerminal(ctx.api, e, 30_000);
  });

  it('run --wait prints the result and exits 0 when the execution succeeds', async () => {
    const r = await cli(['run', `${PACK}.lines`, 'count=4', '--wait']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Status:\s+completed$/m);
    expect(r.stdout).toMatch(/^Exit code:\s+0$/m);
    expect(r.stdout).toContain('stdout:\n  line 1\n  line 2\n  line 3\n  line 4\n');
    expect(r.stdout).toContain('stderr:\n  note 1\n');
  });

  it('run --wait exits 1 when the execution fails, with its exit code and error', async () => {
    const r = await cli(['run', `${PACK}.lines`, 'exit_code=4', '--wait']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^Status:\s+failed$/m);
    expect(r.stdout).toMatch(/^Exit code:\s+4$/m);
    const json = await cli(['run', `${PACK}.lines`, 'exit_code=4', '--wait', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'failed', result: { exit_code: 4, succeeded: false } });
  });

  it('run --param-file takes parameters from JSON, key=value overriding them', async () => {
    writeFileSync(join(tmp, 'params.json'), JSON.stringify({ count: 5, exit_code: 2 }));
    const r = await cli(['run', `${PACK}.lines`, '--param-file', join(tmp, 'params.json'), 'exit_code=0', '--wait', '--json']);
    expect(r.code).toBe(0);
    const e = JSON.parse(r.stdout);
    expect(e.config).toMatchObject({ count: 5, exit_code: 0 });
    expect(e.result.stdout).toBe('line 1\nline 2\nline 3\nline 4\nline 5\n');
  });

  it('run --follow streams the log lines live, as they are printed, and exits 0 on success', async () => {
    const gate = join(tmp, `gate-${randomBytes(4).toString('hex')}`);
    const p = startCli(['run', `${PACK}.lines`, 'count=3', `gate=${gate}`, '--follow']);
    await waitFor(() => p.out().includes('line 1\n'), { timeoutMs: 30_000, what: 'the first line on stdout' });
    // The action is still blocked on the gate: the line came live, not at the end.
    const id = Number(/Execution (\d+) requested/.exec(p.err())?.[1]);
    const now = await ctx.api.get(`/api/v1/executions/${id}`);
    expect(now.body.data.status).toBe('running');
    expect(p.out()).toBe('line 1\n');
    writeFileSync(gate, '');
    const r = await p.result;
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('line 1\nline 2\nline 3\n');
    expect(r.stderr).toContain('note 1\n');
    expect(r.stderr).toMatch(new RegExp(`Execution ${id} completed in \\S+ \\(exit code 0\\)`));
  });

  it('run --follow exits 1 when the execution fails', async () => {
    const r = await cli(['run', `${PACK}.lines`, 'count=2', 'exit_code=5', '--follow']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('line 1\nline 2\n');
    expect(r.stderr).toMatch(/Execution \d+ failed in \S+ \(exit code 5\): /);
  });

  it('run --follow --json keeps stdout one JSON document: logs go to stderr', async () => {
    const r = await cli(['run', `${PACK}.lines`, 'count=2', '--follow', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'completed', result: { exit_code: 0 } });
    expect(r.stderr).toContain('line 1\nline 2\n');
  });

  it('refuses a parameter of the wrong type before sending anything (exit 2), and the server refuses bad ones (exit 8)', async () => {
    const r = await cli(['run', `${PACK}.lines`, 'count=many']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/count must be an integer/);
    const server = await cli(['run', `${PACK}.lines`, 'count:="many"']);
    expect(server.code).toBe(8);
    expect(server.stderr).toMatch(/count/);
  });
});

// ------------------------------------------------------------------ executions

describe('execution commands', () => {
  let done: any;

  beforeAll(async () => {
    const r = await cliJson(['run', `${PACK}.lines`, 'count=3', '--wait']);
    done = r;
  });

  it('lists executions with filters and a limit', async () => {
    const mine = await cliJson(['execution', 'list', '--action', `${PACK}.lines`, '--limit', '3']);
    expect(mine).toHaveLength(3);
    expect(mine.every((e: any) => e.action_ref === `${PACK}.lines`)).toBe(true);
    const failed = await cliJson(['execution', 'list', '--action', `${PACK}.lines`, '--status', 'failed']);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((e: any) => e.status === 'failed')).toBe(true);
    const table = await cli(['execution', 'list', '--action', `${PACK}.lines`, '--limit', '2']);
    expect(table.stdout).toMatch(/^\s*ID\s+ACTION\s+STATUS\s+BY\s+EXIT\s+DURATION\s+CREATED$/m);
    expect(table.stdout.trimEnd().split('\n')).toHaveLength(4);
    expect(table.stderr).toMatch(/Showing 2 of \d+; use --limit/);
  });

  it('shows one execution', async () => {
    const r = await cli(['execution', 'show', String(done.id)]);
    expect(r.stdout).toMatch(new RegExp(`^Execution:\\s+${done.id}$`, 'm'));
    expect(r.stdout).toMatch(/^Status:\s+completed$/m);
    expect((await cliJson(['execution', 'show', String(done.id)])).id).toBe(done.id);
  });

  it('prints the whole log, or stderr, or follows a finished one to its end', async () => {
    expect((await cli(['execution', 'logs', String(done.id)])).stdout).toBe('line 1\nline 2\nline 3\n');
    expect((await cli(['execution', 'logs', String(done.id), '--stderr'])).stdout).toBe('note 1\n');
    expect((await cli(['execution', 'logs', String(done.id), '--follow'])).stdout).toBe('line 1\nline 2\nline 3\n');
    expect(await cliJson(['execution', 'logs', String(done.id)])).toEqual({ execution: done.id, stream: 'stdout', complete: true, bytes: 21, text: 'line 1\nline 2\nline 3\n' });
  });

  it('cancels a running execution, and refuses to cancel an ended one (exit 8)', async () => {
    const gate = join(tmp, `never-${run}`);
    const started = await cliJson(['run', `${PACK}.lines`, `gate=${gate}`]);
    await waitFor(async () => (await ctx.api.get(`/api/v1/executions/${started.id}`)).body.data.status === 'running', { timeoutMs: 30_000, what: 'running' });
    const r = await cli(['execution', 'cancel', String(started.id)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`(Cancellation of execution ${started.id} requested|Execution ${started.id} cancelled)`));
    expect((await waitForTerminal(ctx.api, started.id, 30_000)).status).toBe('cancelled');
    const again = await cli(['execution', 'cancel', String(started.id)]);
    expect(again.code).toBe(8);
    expect(again.stderr).toMatch(/already/);
  });

  it("shows an execution's manifest: its artifacts with sizes and SHA-256", async () => {
    writeFileSync(join(tmp, 'report.txt'), 'the report\n');
    const up = await cliJson(['artifact', 'upload', join(tmp, 'report.txt'), '--ref', `cli.${run}.report`, '--execution', String(done.id), '--owner', OWNER]);
    const m = await cliJson(['execution', 'manifest', String(done.id)]);
    expect(m).toMatchObject({ execution: done.id, status: 'completed' });
    const report = m.artifacts.find((a: any) => a.ref === `cli.${run}.report`);
    expect(report.versions).toEqual([expect.objectContaining({ version: 1, size_bytes: 11, sha256: up.version.sha256, stored: true })]);
    const human = await cli(['execution', 'manifest', String(done.id)]);
    expect(human.stdout).toMatch(new RegExp(`^\\s+${up.artifact.id}\\s+cli\\.${run}\\.report\\s+file_text\\s+1\\s+11 B\\s+${up.version.sha256}\\s+yes$`, 'm'));
  });
});

// ------------------------------------------------------------------ artifacts

/** An HTTP proxy to the api that damages downloads: flips a byte, or cuts the body off halfway. */
function damagingProxy(mode: 'flip' | 'cut'): Promise<{ url: string; server: Server }> {
  const target = new URL(ctx.platform.apiUrl);
  const server = createServer((req, res) => {
    const upstream = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      if (!/\/download(\?|$)/.test(req.url ?? '') || up.statusCode !== 200) {
        up.pipe(res);
        return;
      }
      const total = Number(up.headers['content-length']);
      let seen = 0;
      up.on('data', (chunk: Buffer) => {
        if (mode === 'cut' && seen + chunk.length > total / 2) {
          res.write(chunk.subarray(0, Math.max(0, Math.floor(total / 2) - seen)));
          res.destroy();
          up.destroy();
          return;
        }
        if (mode === 'flip' && seen <= 1000 && 1000 < seen + chunk.length) chunk[1000 - seen] ^= 0xff;
        seen += chunk.length;
        res.write(chunk);
      });
      up.on('end', () => res.end());
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server })));
}

/**
 * Signs in through a damaging proxy (with a configuration of its own) and downloads five.bin through
 * it into a new, empty directory; `check` gets the download's result and runs while the proxy is
 * still up, with the CLI signed in through it.
 */
async function damagedDownload(
  mode: 'flip' | 'cut',
  check: (r: CliResult, dir: string, proxied: (args: string[]) => Promise<CliResult>) => Promise<void>,
): Promise<void> {
  const proxy = await damagingProxy(mode);
  try {
    const dir = join(tmp, `damaged-${mode}`);
    mkdirSync(dir);
    const proxied = (args: string[]) => cli(args, { configDir: join(tmp, `config-proxy-${mode}`) });
    expect((await proxied(['login', '--url', proxy.url, '-u', 'test@attune.local', '-p', 'TestPass123!'])).code).toBe(0);
    await check(await proxied(['artifact', 'download', `cli.${run}.five`, '-o', dir]), dir, proxied);
  } finally {
    proxy.server.close();
  }
}

describe('artifacts (acceptance 2)', () => {
  const bigRef = `cli.${run}.big`;
  let bigSha: string;
  const SIZE = 200 * MB;

  it(`uploads a ${SIZE / MB} MB file and downloads an identical one, streaming both ways with flat memory`, async () => {
    const file = join(tmp, 'big.bin');
    bigSha = await writeTestFile(file, SIZE);
    const up = await cli(['artifact', 'upload', file, '--ref', bigRef, '--owner', OWNER, '--json'], { timeoutMs: 300_000 });
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    const uploaded = JSON.parse(up.stdout);
    expect(uploaded.created).toBe(true);
    expect(uploaded.version).toMatchObject({ version: 1, size_bytes: SIZE, sha256: bigSha });
    expect(uploaded.artifact).toMatchObject({ ref: bigRef, type: 'file_binary', name: 'big.bin', owner: OWNER });
    // The file is never held in memory: the CLI's peak RSS stays well below its size.
    expect(up.peakRssBytes).toBeGreaterThan(0);
    expect(up.peakRssBytes).toBeLessThan(170 * 1024 * 1024);

    const dir = join(tmp, 'downloads');
    mkdirSync(dir);
    const down = await cli(['artifact', 'download', bigRef, '-o', dir], { timeoutMs: 300_000 });
    expect(down.code).toBe(0);
    expect(down.stdout).toBe(`Downloaded ${bigRef} version 1 to ${join(dir, 'big.bin')} (190.7 MB, SHA-256 verified).\n`);
    expect(readdirSync(dir)).toEqual(['big.bin']);
    expect(statSync(join(dir, 'big.bin')).size).toBe(SIZE);
    expect(await sha256File(join(dir, 'big.bin'))).toBe(bigSha);
    expect(down.peakRssBytes).toBeLessThan(170 * 1024 * 1024);
    // Not a terminal: no progress bar drawn into the output.
    expect(down.stderr).toBe('');
    rmSync(join(dir, 'big.bin'));
  }, 300_000);

  it('draws a progress bar on uploads and downloads when stdout is a terminal', async () => {
    writeFileSync(join(tmp, 'five.bin'), randomBytes(5 * MB));
    // script(1) runs the command on a pseudo-terminal.
    const onTerminal = (args: string) =>
      spawnSync('script', ['-qec', `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} ${args}`, '/dev/null'], { env: cliEnv({}), encoding: 'utf8', timeout: 60_000 });
    const up = onTerminal(`artifact upload ${JSON.stringify(join(tmp, 'five.bin'))} --ref cli.${run}.five --owner ${OWNER}`);
    expect(up.status).toBe(0);
    expect(up.stdout).toMatch(/\rupload five\.bin {2}\[[#-]+\] +\d+% {2}[\d.]+ [KM]?B \/ 4\.8 MB/);
    expect(up.stdout).toContain('100%');
    expect(up.stdout).toContain(`Uploaded five.bin as new artifact`);
    const dir = join(tmp, 'tty');
    mkdirSync(dir);
    const r = onTerminal(`artifact download cli.${run}.five -o ${JSON.stringify(dir)}`);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\rdownload five\.bin {2}\[[#-]+\] +\d+% {2}[\d.]+ [KM]?B \/ 4\.8 MB/);
    expect(r.stdout).toContain('100%');
    expect(r.stdout).toContain('SHA-256 verified');
    expect(readFileSync(join(dir, 'five.bin')).equals(readFileSync(join(tmp, 'five.bin')))).toBe(true);
  });

  it('fails with exit 6 and leaves no file (nor temporary file) when the bytes are corrupted in transit', async () => {
    await damagedDownload('flip', async (r, dir, proxied) => {
      expect(r.code).toBe(6);
      expect(r.stderr).toMatch(/Checksum mismatch: expected SHA-256 [0-9a-f]{64}, received [0-9a-f]{64}; nothing was saved/);
      expect(readdirSync(dir)).toEqual([]);
      // An existing file at the target is left as it was.
      writeFileSync(join(dir, 'five.bin'), 'previous content');
      expect((await proxied(['artifact', 'download', `cli.${run}.five`, '-o', join(dir, 'five.bin'), '--force'])).code).toBe(6);
      expect(readdirSync(dir)).toEqual(['five.bin']);
      expect(readFileSync(join(dir, 'five.bin'), 'utf8')).toBe('previous content');
    });
  });

  it('fails (exit 5) and leaves no partial file when the download breaks off', async () => {
    await damagedDownload('cut', async (r, dir) => {
      expect(r.code).toBe(5);
      expect(r.stderr).toMatch(/broke off after \d+ bytes.*nothing was saved/);
      expect(readdirSync(dir)).toEqual([]);
    });
  });

  it('adds versions to an existing ref, shows them, and downloads any version', async () => {
    const ref = `cli.${run}.notes`;
    writeFileSync(join(tmp, 'notes.txt'), 'first\n');
    const v1 = await cliJson(['artifact', 'upload', join(tmp, 'notes.txt'), '--ref', ref, '--owner', OWNER]);
    writeFileSync(join(tmp, 'notes.txt'), 'second, longer\n');
    const v2 = await cliJson(['artifact', 'upload', join(tmp, 'notes.txt'), '--ref', ref]);
    expect(v1).toMatchObject({ created: true, version: { version: 1 } });
    expect(v2).toMatchObject({ created: false, version: { version: 2 }, artifact: { id: v1.artifact.id, type: 'file_text' } });

    const show = await cli(['artifact', 'show', ref]);
    expect(show.stdout).toMatch(/^Name:\s+notes\.txt$/m);
    expect(show.stdout).toMatch(/^Type:\s+file_text$/m);
    expect(show.stdout).toMatch(/^Size:\s+15 B \(15 bytes\)$/m);
    expect(show.stdout).toMatch(new RegExp(`^SHA256:\\s+${v2.version.sha256}$`, 'm'));
    expect(show.stdout).toMatch(/^Versions:\s+2 \(latest 2\)$/m);
    expect(show.stdout).toMatch(/^Execution:\s+-$/m);
    expect(show.stdout).toMatch(/^Created:\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/m);
    const byId = await cliJson(['artifact', 'show', String(v1.artifact.id)]);
    expect(byId.versions.map((v: any) => v.version)).toEqual([2, 1]);

    const dir = join(tmp, 'versions');
    mkdirSync(dir);
    expect((await cli(['artifact', 'download', ref, '--version', '1', '-o', join(dir, 'v1.txt')])).code).toBe(0);
    expect(readFileSync(join(dir, 'v1.txt'), 'utf8')).toBe('first\n');
    expect((await cli(['artifact', 'download', String(v1.artifact.id), '-o', dir])).code).toBe(0);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('second, longer\n');
    expect((await cli(['artifact', 'download', ref, '--version', '9'])).code).toBe(4);
  });

  it('refuses to overwrite an existing file, a dotfile included, unless --force (exit 2, file untouched)', async () => {
    const ref = `cli.${run}.notes`;
    const dir = join(tmp, 'no-clobber');
    mkdirSync(dir);
    const dotfile = join(dir, '.profile');
    writeFileSync(dotfile, 'export SAFE=1\n');
    const refused = await cli(['artifact', 'download', ref, '-o', dotfile]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('already exists; nothing was saved (use --force to overwrite it)');
    expect(readFileSync(dotfile, 'utf8')).toBe('export SAFE=1\n');
    expect(readdirSync(dir)).toEqual(['.profile']);
    // The artifact's own name as the target in a directory that has it: refused the same way.
    writeFileSync(join(dir, 'notes.txt'), 'mine\n');
    expect((await cli(['artifact', 'download', ref, '-o', dir])).code).toBe(2);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine\n');
    const forced = await cli(['artifact', 'download', ref, '-o', dotfile, '--force']);
    expect(forced.code).toBe(0);
    expect(readFileSync(dotfile, 'utf8')).toBe('second, longer\n');
  });

  it('lists artifacts with filters, as a table or JSON', async () => {
    const mine = await cliJson(['artifact', 'list', '--owner', OWNER, '--limit', '100']);
    expect(mine.map((a: any) => a.ref)).toEqual(expect.arrayContaining([bigRef, `cli.${run}.five`, `cli.${run}.notes`]));
    expect(mine.every((a: any) => a.owner === OWNER)).toBe(true);
    const texts = await cliJson(['artifact', 'list', '--owner', OWNER, '--type', 'file_text']);
    expect(texts.every((a: any) => a.type === 'file_text')).toBe(true);
    expect(await cliJson(['artifact', 'list', '--owner', OWNER, '--name', 'BIG.b'])).toEqual([expect.objectContaining({ ref: bigRef })]);
    const table = await cli(['artifact', 'list', '--owner', OWNER, '--name', 'big']);
    expect(table.stdout).toMatch(/^\s*ID\s+REF\s+TYPE\s+NAME\s+SIZE\s+VERSIONS\s+EXECUTION\s+ORIGIN\s+CREATED$/m);
    expect(table.stdout).toMatch(new RegExp(`^\\s*\\d+\\s+${bigRef.replace(/\./g, '\\.')}\\s+file_binary\\s+big\\.bin\\s+190\\.7 MB\\s+1\\s+-\\s+user\\s+\\d{4}-`, 'm'));
  });

  it('deletes only after confirmation, or with --force', async () => {
    writeFileSync(join(tmp, 'gone.txt'), 'bye\n');
    const a = await cliJson(['artifact', 'upload', join(tmp, 'gone.txt'), '--ref', `cli.${run}.gone`, '--owner', OWNER]);
    const no = await cli(['artifact', 'delete', `cli.${run}.gone`], { input: 'n\n' });
    expect(no.code).toBe(1);
    expect(no.stderr).toMatch(/Delete artifact \d+ \(cli\..*\.gone\) and its versions\? \(y\/N\)/);
    expect(no.stderr).toContain('Not deleted.');
    expect((await cli(['artifact', 'show', `cli.${run}.gone`])).code).toBe(0);
    const noAnswer = await cli(['artifact', 'delete', `cli.${run}.gone`]);
    expect(noAnswer.code).toBe(1);
    const yes = await cli(['artifact', 'delete', `cli.${run}.gone`], { input: 'y\n' });
    expect(yes.code).toBe(0);
    expect(yes.stdout).toBe(`Deleted artifact ${a.artifact.id} (cli.${run}.gone).\n`);
    expect((await cli(['artifact', 'show', `cli.${run}.gone`])).code).toBe(4);

    await cliJson(['artifact', 'upload', join(tmp, 'gone.txt'), '--ref', `cli.${run}.forced`, '--owner', OWNER]);
    expect(await cliJson(['artifact', 'delete', `cli.${run}.forced`, '--force'])).toMatchObject({ deleted: true, ref: `cli.${run}.forced` });
    expect((await cli(['artifact', 'show', `cli.${run}.forced`])).code).toBe(4);
  });

  it('links an upload to an execution and finds it by --execution', async () => {
    const e = await cliJson(['run', 'core.noop', '--wait']);
    writeFileSync(join(tmp, 'linked.csv'), 'a,b\n1,2\n');
    const up = await cliJson(['artifact', 'upload', join(tmp, 'linked.csv'), '--ref', `cli.${run}.linked`, '--execution', String(e.id), '--owner', OWNER]);
    expect(up.artifact).toMatchObject({ type: 'file_datatable', execution: e.id });
    expect(up.version).toMatchObject({ execution: e.id, content_type: 'text/csv' });
    const listed = await cliJson(['artifact', 'list', '--execution', String(e.id)]);
    expect(listed.map((a: any) => a.ref)).toContain(`cli.${run}.linked`);
    expect((await cli(['artifact', 'show', `cli.${run}.linked`])).stdout).toMatch(new RegExp(`^Execution:\\s+${e.id}$`, 'm'));
  });
});

// ------------------------------------------------------------------ cleanup

describe('artifact cleanup (acceptance 3)', () => {
  it('--dry-run lists without deleting; the same command without it deletes exactly that list', async () => {
    const owner = `${OWNER}-cleanup`;
    const keepOwner = `${OWNER}-keep`;
    for (const [name, body] of [['c1.txt', 'one\n'], ['c2.bin', 'two'], ['c3.log', 'three\n']]) {
      writeFileSync(join(tmp, name), body);
      await cliJson(['artifact', 'upload', join(tmp, name), '--ref', `cli.${run}.${name}`, '--owner', owner]);
    }
    writeFileSync(join(tmp, 'c1.txt'), 'one, again\n');
    await cliJson(['artifact', 'upload', join(tmp, 'c1.txt'), '--ref', `cli.${run}.c1.txt`]);
    await cliJson(['artifact', 'upload', join(tmp, 'c2.bin'), '--ref', `cli.${run}.keep`, '--owner', keepOwner]);

    const args = ['artifact', 'cleanup', '--older-than', '1s', '--owner', owner];
    // Once a second has passed since the last upload, the dry run lists all three, whole.
    const dry = await waitFor(
      async () => {
        const report = await cliJson([...args, '--dry-run']);
        return report.items.length === 3 && report.items.every((i: any) => i.artifact_deleted) ? report : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: 'the dry run to list the three artifacts' },
    );
    expect(dry).toMatchObject({ dry_run: true, deleted_artifacts: 3, deleted_versions: 4 });
    expect(dry.items.map((i: any) => i.ref).sort()).toEqual([`cli.${run}.c1.txt`, `cli.${run}.c2.bin`, `cli.${run}.c3.log`]);
    expect(dry.items.find((i: any) => i.ref === `cli.${run}.c1.txt`).versions.sort()).toEqual([1, 2]);

    // Nothing was deleted.
    expect((await cliJson(['artifact', 'list', '--owner', owner])).length).toBe(3);
    expect((await cliJson(['artifact', 'show', `cli.${run}.c1.txt`])).versions).toHaveLength(2);
    const human = await cli([...args, '--dry-run']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^ARTIFACT\s+REF\s+TYPE\s+VERSIONS\s+WHOLE ARTIFACT$/m);
    expect(human.stdout).toContain(`cli.${run}.c3.log`);
    expect(human.stdout).toMatch(/Dry run: would delete 3 artifacts and 4 versions, freeing \d+ B \(older than 1s\)\. Nothing was deleted\./);
    expect((await cliJson(['artifact', 'list', '--owner', owner])).length).toBe(3);

    const real = await cliJson(args);
    expect(real.dry_run).toBe(false);
    const key = (items: any[]) => [...items].sort((a, b) => a.artifact - b.artifact).map((i) => ({ ...i, versions: [...i.versions].sort() }));
    expect(key(real.items)).toEqual(key(dry.items));
    expect(real).toMatchObject({ deleted_artifacts: dry.deleted_artifacts, deleted_versions: dry.deleted_versions, freed_bytes: dry.freed_bytes });

    expect(await cliJson(['artifact', 'list', '--owner', owner])).toEqual([]);
    expect((await cli(['artifact', 'show', `cli.${run}.c2.bin`])).code).toBe(4);
    expect((await cliJson(['artifact', 'list', '--owner', keepOwner])).map((a: any) => a.ref)).toEqual([`cli.${run}.keep`]);
  });
});
