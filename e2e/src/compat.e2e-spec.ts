import { ApiClient, buildTarGz, type TarEntry, waitFor } from '@attune/testing';
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { deleteRules, execute, ROOT, usePlatform, waitForTerminal } from './support';

// Attune compatibility: each request is sent with the JSON shape Attune's own client sends, and
// the resource it creates must then behave as its Attune twin would (the action runs, the timer
// fires, the webhook starts an execution, the criteria expression matches).

const RUN = randomUUID().slice(0, 8);
const SCRATCH = resolve(ROOT, 'tmp/e2e', `compat-scratch-${RUN}`);
const PACK_ROOT = join(SCRATCH, 'packs');
const OUTSIDE = join(SCRATCH, 'outside');
const PACK = `attune${RUN}`;
const MOUNTED = `mounted${RUN}`;
const BIGINT_MAX = '9223372036854775807';
const BIGINT_OVER = '9223372036854775808';

const rulesCreated: string[] = [];

beforeAll(() => {
  mkdirSync(PACK_ROOT, { recursive: true });
  mkdirSync(OUTSIDE, { recursive: true });
});

const ctx = usePlatform(
  'compat',
  { ATTUNE_PACK_ROOTS: PACK_ROOT, ATTUNE_EXECUTOR_SWEEP_INTERVAL_MS: '1000' },
  { beforeStop: () => deleteRules(ctx, rulesCreated) },
);

afterAll(() => rmSync(SCRATCH, { recursive: true, force: true }));

const anonymous = () => new ApiClient(ctx.platform.apiUrl);

/** A multipart pack upload as Attune's client sends it: the archive plus force and skip_tests. */
async function attuneUpload(archive: Buffer, fields: Record<string, string> = { force: 'true', skip_tests: 'true' }) {
  const form = new FormData();
  form.append('pack', new Blob([new Uint8Array(archive)]), 'pack.tar.gz');
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  const res = await fetch(new URL('/api/v1/packs/upload', ctx.api.baseUrl), {
    method: 'POST',
    headers: { authorization: `Bearer ${ctx.api.token}` },
    body: form,
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function createRule(body: Record<string, unknown>) {
  const res = await ctx.api.post('/api/v1/rules', body);
  if (res.status !== 201) throw new Error(`rule ${String(body.ref)}: ${res.status} ${JSON.stringify(res.body)}`);
  rulesCreated.push(res.body.data.ref);
  return res.body.data;
}

/** What an Attune pack declares in pack.yaml besides ref/label/version, to round-trip unchanged. */
const ATTRIBUTES = {
  conf_schema: {
    api_url: { type: 'string', description: 'Where to post', required: true },
    retries: { type: 'integer', default: 3 },
  },
  config: { api_url: 'https://hooks.example.test/x', retries: 5, labels: { team: 'ops' } },
  meta: { author: 'Ops Team', email: 'ops@example.test', homepage: 'https://example.test', nested: { a: [1, 'two', null] } },
  tags: ['monitoring', 'alerts'],
  runtime_deps: ['shell', 'python', 'nodejs'],
  dependencies: ['core'],
};

function attunePack(): TarEntry[] {
  const yaml = [
    `ref: ${PACK}`,
    'label: Attune-style pack',
    'description: written for Attune',
    'version: 1.2.0',
    `conf_schema: ${JSON.stringify(ATTRIBUTES.conf_schema)}`,
    `config: ${JSON.stringify(ATTRIBUTES.config)}`,
    `meta: ${JSON.stringify(ATTRIBUTES.meta)}`,
    `tags: ${JSON.stringify(ATTRIBUTES.tags)}`,
    `runtime_deps: ${JSON.stringify(ATTRIBUTES.runtime_deps)}`,
    `dependencies: ${JSON.stringify(ATTRIBUTES.dependencies)}`,
    '',
  ].join('\n');
  return [
    { path: 'pack.yaml', content: yaml },
    { path: 'actions/', type: 'dir' },
    // Attune's runtime_ref in the action YAML.
    {
      path: 'actions/py_greet.yaml',
      content: 'name: py_greet\nruntime_ref: core.python\nentry_point: py_greet.py\noutput_format: json\nparameters:\n  name: {type: string, required: true}\n',
    },
    { path: 'actions/py_greet.py', content: 'import json, sys\np = json.load(sys.stdin)\nprint(json.dumps({"greeting": "hi " + p["name"]}))\n' },
    // No runtime at all: inferred from the .js entrypoint, as Attune does.
    { path: 'actions/js_sum.yaml', content: 'name: js_sum\nentry_point: js_sum.js\noutput_format: json\nparameters:\n  a: {type: integer}\n  b: {type: integer}\n' },
    {
      path: 'actions/js_sum.js',
      content: "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const p=JSON.parse(s);console.log(JSON.stringify({sum:p.a+p.b}))});\n",
    },
    { path: 'actions/extra.py', content: 'import os\nprint("extra " + os.environ["PARAM_WHO"])\n' },
  ];
}

describe('packs and actions as Attune\'s client writes them', () => {
  let uploaded: any;

  it('uploads a pack with force/skip_tests, and GET returns its meta, tags, conf_schema, config and dependencies unchanged', async () => {
    const res = await attuneUpload(await buildTarGz(attunePack()));
    expect(res.status).toBe(201);
    uploaded = res.body.data;
    expect(uploaded.warnings).toEqual([]);
    const got = await ctx.api.get(`/api/v1/packs/${PACK}`);
    expect(got.status).toBe(200);
    expect(got.body.data).toMatchObject({ ref: PACK, version: '1.2.0', is_standard: false, ...ATTRIBUTES });
    const listed = (await ctx.api.get('/api/v1/packs?page_size=100')).body.data.find((p: any) => p.ref === PACK);
    expect(listed).toMatchObject(ATTRIBUTES);
    // Unknown form fields are still refused.
    expect((await attuneUpload(await buildTarGz(attunePack()), { force: 'true', surprise: 'x' })).status).toBe(422);
  });

  it('runs the python action named by runtime_ref and the node action whose runtime was inferred', async () => {
    const actions = Object.fromEntries(uploaded.actions.map((a: any) => [a.ref, a]));
    expect(actions[`${PACK}.py_greet`]).toMatchObject({ runtime: 'python', runtime_ref: 'core.python', is_adhoc: false, pack: uploaded.pack.id });
    expect(actions[`${PACK}.js_sum`]).toMatchObject({ runtime: 'node', runtime_ref: 'core.node', is_adhoc: false });
    const py = await waitForTerminal(ctx.api, (await execute(ctx.api, `${PACK}.py_greet`, { name: 'Ada' })).id, 30_000);
    expect(py.status).toBe('completed');
    expect(py.result.data).toEqual({ greeting: 'hi Ada' });
    const js = await waitForTerminal(ctx.api, (await execute(ctx.api, `${PACK}.js_sum`, { a: 2, b: 40 })).id, 30_000);
    expect(js.status).toBe('completed');
    expect(js.result.data).toEqual({ sum: 42 });
  });

  it('creates an action from Attune\'s CreateActionRequest (numeric runtime, runtime_ref absent, Attune-only fields) and runs it', async () => {
    const body = {
      ref: `${PACK}.extra`,
      pack_ref: PACK,
      label: 'Extra',
      description: null,
      entrypoint: 'actions/extra.py',
      runtime: 7, // Attune's runtime id: ignored, the .py entrypoint decides
      enabled: true,
      runtime_version_constraint: '>=3.9',
      required_worker_runtimes: { python: '>=3.9' },
      worker_selector: { zone: 'a' },
      worker_tolerations: [],
      worker_affinity: {},
      param_schema: { who: { type: 'string', required: true } },
      out_schema: null,
      accesses_mcp: false,
      default_execution_permission_set_refs: ['core.agent_reader'],
      reference_visibility: 'public',
      reference_allowed_pack_refs: [],
      artifact_retention_policy: null,
      artifact_retention_limit: null,
      log_retention_policy: 'versions',
      log_retention_limit: 4,
      timeout_seconds: 60,
    };
    const res = await ctx.api.post('/api/v1/actions', body);
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({ ref: `${PACK}.extra`, runtime: 'python', runtime_ref: 'core.python', is_adhoc: true, pack: uploaded.pack.id });
    const run = await waitForTerminal(ctx.api, (await execute(ctx.api, `${PACK}.extra`, { who: 'me' })).id, 30_000);
    expect(run.status).toBe('completed');
    expect(run.result.stdout).toBe('extra me\n');
  });

  it('creates a pack with POST /packs as Attune sends it, and a shell action by runtime_ref that runs', async () => {
    const ref = `plain${RUN}`;
    const pack = await ctx.api.post('/api/v1/packs', {
      ref, label: 'Plain', description: 'made over the API', version: '0.1.0', ...ATTRIBUTES, is_standard: false,
    });
    expect(pack.status).toBe(201);
    expect(pack.body.data).toMatchObject({ ref, ...ATTRIBUTES });
    const action = await ctx.api.post('/api/v1/actions', {
      ref: `${ref}.hello`,
      pack_ref: ref,
      label: 'Hello',
      entrypoint: 'echo "hello $PARAM_NAME"',
      runtime_ref: 'core.shell',
      param_schema: { name: { type: 'string', required: true } },
    });
    expect(action.status).toBe(201);
    expect(action.body.data).toMatchObject({ runtime: 'shell', is_adhoc: true, pack: pack.body.data.id });
    const run = await waitForTerminal(ctx.api, (await execute(ctx.api, `${ref}.hello`, { name: 'attune' })).id, 30_000);
    expect(run).toMatchObject({ status: 'completed', result: { stdout: 'hello attune\n' } });
    const updated = await ctx.api.request('PUT', `/api/v1/packs/${ref}`, { tags: ['changed'], meta: { v: 2 } });
    expect(updated.status).toBe(200);
    expect(updated.body.data).toMatchObject({ tags: ['changed'], meta: { v: 2 }, config: ATTRIBUTES.config });
  });

  it('masks config values that conf_schema marks secret, and keeps them when the mask is sent back', async () => {
    const ref = `secret${RUN}`;
    const created = await ctx.api.post('/api/v1/packs', {
      ref, label: 'Secretive', version: '1.0.0',
      conf_schema: { token: { type: 'string', secret: true }, url: { type: 'string' } },
      config: { token: 'xoxb-very-secret', url: 'https://a.example.test' },
    });
    expect(created.status).toBe(201);
    expect(created.body.data.config).toEqual({ token: '********', url: 'https://a.example.test' });
    const put = await ctx.api.request('PUT', `/api/v1/packs/${ref}`, { config: { ...created.body.data.config, url: 'https://b.example.test' } });
    expect(put.status).toBe(200);
    expect(put.body.data.config).toEqual({ token: '********', url: 'https://b.example.test' });
    const db = new pg.Client({ connectionString: ctx.databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query(`SELECT config FROM packs WHERE ref = $1`, [ref]);
      expect(rows[0].config).toEqual({ token: 'xoxb-very-secret', url: 'https://b.example.test' });
    } finally {
      await db.end();
    }
  });

  it('shows is_adhoc on triggers', async () => {
    const builtin = await ctx.api.get('/api/v1/triggers/core.intervaltimer');
    expect(builtin.body.data.is_adhoc).toBe(false);
    const made = await ctx.api.post('/api/v1/triggers', { ref: `${PACK}.adhoc`, label: 'adhoc' });
    expect(made.status).toBe(201);
    expect(made.body.data.is_adhoc).toBe(true);
  });
});

describe('POST /api/v1/packs/register, confined to ATTUNE_PACK_ROOTS', () => {
  const write = (dir: string, files: Record<string, string>) => {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
  };

  beforeAll(() => {
    write(join(PACK_ROOT, MOUNTED), {
      'pack.yaml': `ref: ${MOUNTED}\nversion: 3.0.0\ntags: [mounted]\n`,
      'actions/hi.yaml': 'name: hi\nentry_point: hi.sh\n',
      'actions/hi.sh': 'echo mounted-hi\n',
    });
    write(join(OUTSIDE, 'evil'), { 'pack.yaml': `ref: evil${RUN}\nversion: 1\n` });
    symlinkSync(join(OUTSIDE, 'evil'), join(PACK_ROOT, 'link-out'));
    write(join(PACK_ROOT, 'leaky'), { 'pack.yaml': `ref: leaky${RUN}\nversion: 1\n` });
    symlinkSync(join(OUTSIDE, 'evil', 'pack.yaml'), join(PACK_ROOT, 'leaky', 'stolen.yaml'));
  });

  it('registers a mounted pack directory, whose action then runs', async () => {
    const res = await ctx.api.post('/api/v1/packs/register', { path: join(PACK_ROOT, MOUNTED), force: true, skip_tests: true });
    expect(res.status).toBe(201);
    expect(res.body.data.pack).toMatchObject({ ref: MOUNTED, version: '3.0.0', tags: ['mounted'] });
    expect(res.body.data.tests_skipped).toBe(true);
    const run = await waitForTerminal(ctx.api, (await execute(ctx.api, `${MOUNTED}.hi`)).id, 30_000);
    expect(run).toMatchObject({ status: 'completed', result: { stdout: 'mounted-hi\n' } });
  });

  it('refuses paths outside the roots, by .., by symlink, relative, or with links leaving the pack', async () => {
    const post = (path: unknown) => ctx.api.post('/api/v1/packs/register', { path });
    expect((await post(join(OUTSIDE, 'evil'))).status).toBe(403);
    expect((await post(`${PACK_ROOT}/../outside/evil`)).status).toBe(403);
    expect((await post(join(PACK_ROOT, 'link-out'))).status).toBe(403);
    expect((await post('/etc')).status).toBe(403);
    expect((await post('relative/path')).status).toBe(422);
    expect((await post(join(PACK_ROOT, 'missing'))).status).toBe(422);
    const leaky = await post(join(PACK_ROOT, 'leaky'));
    expect(leaky.status).toBe(422);
    expect((await ctx.api.get(`/api/v1/packs/leaky${RUN}`)).status).toBe(404);
    expect((await ctx.api.get(`/api/v1/packs/evil${RUN}`)).status).toBe(404);
    // Admins only.
    const viewer = anonymous();
    const reg = await viewer.post('/auth/register', { login: `viewer-${RUN}@example.com`, password: 'viewer pass 123' });
    viewer.token = reg.body.data.access_token;
    expect((await viewer.post('/api/v1/packs/register', { path: join(PACK_ROOT, MOUNTED) })).status).toBe(403);
  });
});

describe('webhooks, rules with expression criteria, timers', () => {
  let trigger: any;
  let rule: any;

  beforeAll(async () => {
    const made = await ctx.api.post('/api/v1/triggers', { ref: `${PACK}.alert`, label: 'alert' });
    expect(made.status).toBe(201);
    const enabled = await ctx.api.post(`/api/v1/triggers/${made.body.data.ref}/webhooks/enable`);
    trigger = enabled.body.data;
    rule = await createRule({
      ref: `${PACK}.on_critical`,
      pack_ref: PACK,
      label: 'On critical',
      trigger_ref: trigger.ref,
      action_ref: 'core.echo',
      conditions: { expression: "{{ event.payload.status == 'critical' }}" },
      action_params: { message: '{{ event.payload.host }} is critical' },
      enabled: true,
    });
  });

  it('answers the webhook with 200 and the event id; the expression matches critical, not warning', async () => {
    const hook = (payload: unknown) => anonymous().request('POST', `/api/v1/webhooks/${trigger.webhook_key}`, { payload });
    const critical = await hook({ status: 'critical', host: 'web-1' });
    expect(critical.status).toBe(200);
    expect(Object.keys(critical.body.data)).toEqual(['event_id']);
    const warning = await hook({ status: 'warning', host: 'web-2' });
    expect(warning.status).toBe(200);
    for (const id of [critical.body.data.event_id, warning.body.data.event_id]) {
      await waitFor(async () => (await ctx.api.get(`/api/v1/events/${id}`)).body.data?.processed_at ?? undefined, {
        timeoutMs: 20_000,
        what: `event ${id} to be processed`,
      });
    }
    const byRule = await ctx.api.get(`/api/v1/enforcements?rule=${rule.id}`);
    expect(byRule.status).toBe(200);
    expect(byRule.body.data.map((e: any) => e.event)).toEqual([critical.body.data.event_id]);
    expect(byRule.body.data[0].conditions).toEqual({ expression: "{{ event.payload.status == 'critical' }}" });
    const executions = await ctx.api.get(`/api/v1/executions?enforcement=${byRule.body.data[0].id}`);
    const run = await waitForTerminal(ctx.api, executions.body.data[0].id, 30_000);
    expect(run).toMatchObject({ status: 'completed', result: { stdout: 'web-1 is critical\n' } });
    const byTrigger = await ctx.api.get(`/api/v1/events?trigger=${trigger.id}`);
    expect(byTrigger.body.data.map((e: any) => e.id).sort()).toEqual([critical.body.data.event_id, warning.body.data.event_id].sort());
    expect(byTrigger.body.data.every((e: any) => e.trigger_ref === trigger.ref)).toBe(true);
  });

  it('refuses an expression that does not parse or reaches for code', async () => {
    for (const expression of ['{{ event.payload.status == }}', "{{ event.prototype }}", '{{ x | nosuchfilter }}']) {
      const res = await ctx.api.post('/api/v1/rules', {
        ref: `${PACK}.bad_${Math.random().toString(36).slice(2, 8)}`, label: 'bad', trigger_ref: trigger.ref, action_ref: 'core.noop',
        conditions: { expression },
      });
      expect({ expression, status: res.status }).toEqual({ expression, status: 422 });
      expect(res.body.details[0].field).toBe('conditions.expression');
    }
  });

  it('fires a core.datetimetimer whose fire_at is wall-clock time in its timezone', async () => {
    // Asia/Kolkata is UTC+05:30 all year: the wall clock there, 4 s from now, without an offset.
    const at = new Date(Date.now() + 4000 + 5.5 * 3600_000).toISOString().slice(0, 19);
    const timer = await createRule({
      ref: `${PACK}.at_time`,
      pack_ref: PACK,
      label: 'At a time',
      trigger_ref: 'core.datetimetimer',
      trigger_params: { fire_at: at, timezone: 'Asia/Kolkata' },
      action_ref: 'core.echo',
      action_params: { message: 'fired {{ event.payload.timezone }}' },
    });
    const enforcement = await waitFor(
      async () => (await ctx.api.get(`/api/v1/enforcements?rule=${timer.id}`)).body.data[0],
      { timeoutMs: 30_000, what: 'the datetime timer to fire' },
    );
    const executions = await waitFor(
      async () => {
        const list = (await ctx.api.get(`/api/v1/executions?enforcement=${enforcement.id}`)).body.data;
        return list.length ? list : undefined;
      },
      { timeoutMs: 20_000, what: 'the timer execution' },
    );
    const run = await waitForTerminal(ctx.api, executions[0].id, 30_000);
    expect(run).toMatchObject({ status: 'completed', result: { stdout: 'fired Asia/Kolkata\n' } });
  });
});

describe('status codes, list parameters and ids', () => {
  it('answers POST /auth/register with 200 and the same body as before', async () => {
    const login = `compat-${RUN}@example.com`;
    const res = await anonymous().post('/auth/register', { login, password: 'compat pass 123', display_name: 'Compat' });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ token_type: 'Bearer', user: { login, display_name: 'Compat' } });
    expect(typeof res.body.data.access_token).toBe('string');
    expect(typeof res.body.data.refresh_token).toBe('string');
  });

  it('takes page_size, and clamps per_page above 100 instead of refusing it', async () => {
    const small = await ctx.api.get('/api/v1/actions?page_size=2');
    expect(small.status).toBe(200);
    expect(small.body.data.length).toBeLessThanOrEqual(2);
    expect(small.body.pagination.per_page).toBe(2);
    const big = await ctx.api.get('/api/v1/actions?per_page=1000');
    expect(big.status).toBe(200);
    expect(big.body.pagination.per_page).toBe(100);
    const bigSize = await ctx.api.get('/api/v1/executions?page_size=5000');
    expect(bigSize.body.pagination.per_page).toBe(100);
    for (const bad of ['per_page=0', 'page_size=abc', 'page=0', 'page=999999999999999999', 'per_page=1.5']) {
      expect({ bad, status: (await ctx.api.get(`/api/v1/actions?${bad}`)).status }).toEqual({ bad, status: 422 });
    }
  });

  it('reads the largest valid id as 404, and a larger one as 400', async () => {
    for (const path of ['executions', 'events', 'enforcements', 'artifacts']) {
      const res = await ctx.api.get(`/api/v1/${path}/${BIGINT_MAX}`);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
    }
    expect((await ctx.api.get(`/api/v1/executions/${BIGINT_OVER}`)).status).toBe(400);
    expect((await ctx.api.post(`/api/v1/executions/${BIGINT_MAX}/cancel`)).status).toBe(404);
  });

  it('gives 422 for every numeric filter out of range, and an empty page for a valid id that names nothing', async () => {
    const filters = [
      'executions?parent', 'executions?enforcement', 'enforcements?event', 'enforcements?rule', 'events?trigger', 'artifacts?execution',
    ];
    for (const f of filters) {
      for (const value of [BIGINT_OVER, '-1', '0', 'abc', '1e3', '99999999999999999999999']) {
        const res = await ctx.api.get(`/api/v1/${f}=${value}`);
        expect({ f, value, status: res.status }).toEqual({ f, value, status: 422 });
      }
      const none = await ctx.api.get(`/api/v1/${f}=${BIGINT_MAX}`);
      expect({ f, status: none.status, total: none.body.pagination?.total }).toEqual({ f, status: 200, total: 0 });
    }
  });
});
