import { ApiClient, waitFor } from '@attune/testing';
import { registerUser, type TestUser, usePlatform, usePlatformDatabase, waitForTerminal, withCli } from './support';

// The datastore (/api/v1/keys): CRUD, encryption at rest, who may decrypt, TTL expiry, an action
// reading keys with its execution token, and a rule template reading {{ keystore.<name> }}.

const RUN = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;
const SECRET = `sekret-${RUN}-value`;
const ctx = usePlatform('datastore', { ATTUNE_KEY_SWEEP_INTERVAL_MS: '300' });
const db = usePlatformDatabase(ctx);
let packA: string;
let packB: string;
let alice: TestUser;
let bob: TestUser;

async function createPack(ref: string) {
  const res = await ctx.api.post('/api/v1/packs', { ref, label: ref, version: '1.0.0' });
  expect(res.status).toBe(201);
}

const put = (client: ApiClient, key: string, body: Record<string, unknown>, q = '') => client.request('PUT', `/api/v1/keys/${key}${q}`, body);
const get = (client: ApiClient, key: string, q = '') => client.get(`/api/v1/keys/${key}${q}`);

/** Everything Postgres holds about keys named `name`, as text. */
async function rowsText(name: string): Promise<string> {
  const { rows } = await db.query(`SELECT row_to_json(k)::text AS t FROM keys k WHERE name = $1`, [name]);
  return rows.map((r) => r.t as string).join('\n');
}

beforeAll(async () => {
  packA = `dsa${RUN}`;
  packB = `dsb${RUN}`;
  await createPack(packA);
  await createPack(packB);
  // Alice runs actions: operator.
  alice = await registerUser(ctx, `alice${RUN}`, 'operator');
  bob = await registerUser(ctx, `bob${RUN}`);
});

describe('keys CRUD', () => {
  it('creates, reads, lists, replaces and deletes a key', async () => {
    const name = `plain_${RUN}`;
    const created = await ctx.api.post('/api/v1/keys', { name, value: { region: 'eu-west-1', replicas: 3 } });
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({ ref: `system.${name}`, name, scope: 'system', owner: '', encrypted: false, value: { region: 'eu-west-1', replicas: 3 }, ttl: null });
    expect((await ctx.api.post('/api/v1/keys', { name, value: 'again' })).status).toBe(409);

    expect((await get(ctx.api, name)).body.data.value).toEqual({ region: 'eu-west-1', replicas: 3 });
    expect((await get(ctx.api, `system.${name}`)).body.data.name).toBe(name);
    const listed = await ctx.api.get(`/api/v1/keys?scope=system&name=${name}`);
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((k: any) => k.name)).toEqual([name]);
    expect(listed.body.pagination.total).toBe(1);

    const replaced = await put(ctx.api, name, { value: 'v2' });
    expect(replaced.status).toBe(200);
    expect(replaced.body.data.value).toBe('v2');
    expect((await put(ctx.api, `fresh_${RUN}`, { value: 1 })).status).toBe(201);

    expect((await ctx.api.request('DELETE', `/api/v1/keys/${name}`)).status).toBe(204);
    expect((await get(ctx.api, name)).status).toBe(404);
    expect((await ctx.api.request('DELETE', `/api/v1/keys/${name}`)).status).toBe(404);
  });

  it('refuses bad names, scopes and owners with 422', async () => {
    expect((await ctx.api.post('/api/v1/keys', { name: 'has.dot', value: 1 })).status).toBe(422);
    expect((await ctx.api.post('/api/v1/keys', { name: 'pack', value: 1 })).status).toBe(422);
    expect((await ctx.api.post('/api/v1/keys', { name: `k_${RUN}`, value: 1, scope: 'galaxy' })).status).toBe(422);
    expect((await ctx.api.post('/api/v1/keys', { name: `k_${RUN}`, value: 1, scope: 'pack', owner: 'no_such_pack' })).status).toBe(422);
    expect((await ctx.api.post('/api/v1/keys', { name: `k_${RUN}` })).status).toBe(422);
  });

  it("accepts Attune's create body (local_ref, owner_type, owner_pack_ref; name as a label)", async () => {
    const res = await ctx.api.post('/api/v1/keys', {
      local_ref: `attune_${RUN}`, owner_type: 'pack', owner_pack_ref: packB, name: 'A human label', value: 'x', encrypted: false,
    });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({ ref: `pack.${packB}.attune_${RUN}`, owner_type: 'pack', owner: packB });
  });
});

describe('encryption and decrypt rights', () => {
  it('stores an encrypted value with no plain text in Postgres, masked unless its owner or an admin decrypts', async () => {
    const name = `token_${RUN}`;
    const created = await ctx.api.post('/api/v1/keys', { name, value: SECRET, encrypted: true, scope: 'pack', owner: packA });
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({ ref: `pack.${packA}.${name}`, encrypted: true, value: '********' });

    const stored = await rowsText(name);
    expect(stored).toContain(name);
    expect(stored).not.toContain(SECRET);
    expect(stored).not.toContain(Buffer.from(SECRET).toString('base64'));

    expect((await get(ctx.api, `pack.${packA}.${name}`)).body.data.value).toBe('********');
    expect((await get(ctx.api, `pack.${packA}.${name}`, '?decrypt=true')).body.data.value).toBe(SECRET);
    // A viewer reads pack keys, but an encrypted value stays masked even when asked.
    const asBob = await get(bob.client, `pack.${packA}.${name}`, '?decrypt=true');
    expect(asBob.status).toBe(200);
    expect(asBob.body.data.value).toBe('********');
    // The list never decrypts.
    const listed = await ctx.api.get(`/api/v1/keys?scope=pack&owner=${packA}`);
    expect(listed.body.data.find((k: any) => k.name === name).value).toBe('********');
  });

  it("keeps a user's keys to that user (and admins); only admins write system and pack keys", async () => {
    const name = `mine_${RUN}`;
    const created = await alice.client.post('/api/v1/keys', { name, value: 'alice-private', encrypted: true, scope: 'user' });
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({ ref: `user.${alice.login}.${name}`, scope: 'user', owner_type: 'identity', owner: alice.login });
    expect((await get(alice.client, name, '?scope=user&decrypt=true')).body.data.value).toBe('alice-private');
    expect((await get(ctx.api, `user.${alice.login}.${name}`, '?decrypt=true')).body.data.value).toBe('alice-private');

    expect((await get(bob.client, `user.${alice.login}.${name}`)).status).toBe(403);
    expect((await get(bob.client, name, `?scope=user&owner=${alice.login}`)).status).toBe(403);
    expect((await bob.client.get('/api/v1/keys?scope=user')).body.data.map((k: any) => k.name)).not.toContain(name);
    expect((await put(bob.client, `user.${alice.login}.${name}`, { value: 'stolen' })).status).toBe(403);
    expect((await bob.client.post('/api/v1/keys', { name: `sys_${RUN}`, value: 1 })).status).toBe(403);
    expect((await bob.client.post('/api/v1/keys', { name: `pk_${RUN}`, value: 1, scope: 'pack', owner: packA })).status).toBe(403);
  });
});

describe('TTL', () => {
  it('makes an expired key vanish at once, and the sweep deletes its row', async () => {
    const name = `short_${RUN}`;
    const created = await put(ctx.api, name, { value: 'brief', ttl: 2 });
    expect(created.status).toBe(201);
    expect(created.body.data.ttl).toBeGreaterThan(0);
    expect(created.body.data.expires_at).toEqual(expect.any(String));
    await waitFor(async () => (await get(ctx.api, name)).status === 404, { timeoutMs: 10_000, what: 'the key to expire' });
    expect((await ctx.api.get(`/api/v1/keys?name=${name}`)).body.data).toEqual([]);
    await waitFor(async () => (await rowsText(name)) === '', { timeoutMs: 10_000, what: 'the sweep to delete the row' });
  });
});

describe('an action reads keys with its execution token', () => {
  // Prints "<key> <status> <body>" per key read, then the status of an attempted write.
  const SCRIPT = [
    'for k in $PARAM_KEYS; do',
    '  body=$(curl -s -w " %{http_code}" -H "authorization: Bearer $ATTUNE_API_TOKEN" "$ATTUNE_API_URL/api/v1/keys/$k?decrypt=true")',
    '  printf "%s %s %s\\n" "$k" "${body##* }" "${body% *}"',
    'done',
    'w=$(curl -s -o /dev/null -w "%{http_code}" -X PUT -H "authorization: Bearer $ATTUNE_API_TOKEN" -H "content-type: application/json" -d \'{"value":1}\' "$ATTUNE_API_URL/api/v1/keys/x_$ATTUNE_EXEC_ID")',
    'printf "write %s\\n" "$w"',
  ].join('\n');

  it("reads its pack's, its user's and system keys (decrypted), and is refused another pack's or user's key", async () => {
    await put(ctx.api, `shared_${RUN}`, { value: 'system-wide' });
    await ctx.api.post('/api/v1/keys', { name: `other_${RUN}`, value: 'b-only', encrypted: true, scope: 'pack', owner: packB });
    await bob.client.post('/api/v1/keys', { name: `bobs_${RUN}`, value: 'bob-only', scope: 'user' });
    const action = await ctx.api.post('/api/v1/actions', {
      ref: `${packA}.reader`, pack_ref: packA, label: 'Reads keys', runtime: 'shell', entrypoint: SCRIPT,
      param_schema: { keys: { type: 'string', required: true } },
    });
    expect(action.status).toBe(201);
    const keys = [
      `token_${RUN}`, // by name: pack A's (encrypted)
      `user.${alice.login}.mine_${RUN}`,
      `shared_${RUN}`,
      `pack.${packB}.other_${RUN}`,
      `user.${bob.login}.bobs_${RUN}`,
      `other_${RUN}`, // by name: not in its scope at all
    ];
    const started = await alice.client.post('/api/v1/executions/execute', { action_ref: `${packA}.reader`, parameters: { keys: keys.join(' ') } });
    expect(started.status).toBe(201);
    const done = await waitForTerminal(ctx.api, started.body.data.id, 30_000);
    expect(done.status).toBe('completed');
    const log = (await ctx.api.get(`/api/v1/executions/${done.id}/logs/stdout`)).body as string;
    const lines = Object.fromEntries(
      log.trim().split('\n').map((l) => {
        const [k, status, ...rest] = l.split(' ');
        return [k, { status: Number(status), body: rest.join(' ') ? JSON.parse(rest.join(' ')) : null }];
      }),
    );
    expect(lines[`token_${RUN}`]).toMatchObject({ status: 200, body: { data: { value: SECRET, scope: 'pack', owner: packA } } });
    expect(lines[`user.${alice.login}.mine_${RUN}`]).toMatchObject({ status: 200, body: { data: { value: 'alice-private' } } });
    expect(lines[`shared_${RUN}`]).toMatchObject({ status: 200, body: { data: { value: 'system-wide' } } });
    expect(lines[`pack.${packB}.other_${RUN}`]).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
    expect(lines[`user.${bob.login}.bobs_${RUN}`]).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
    expect(lines[`other_${RUN}`].status).toBe(404);
    expect(lines.write.status).toBe(403);
  });
});

describe('rule templates read {{ keystore.<name> }}', () => {
  it("renders the rule's pack keys into the action's parameters, keeping a value from an encrypted key sealed", async () => {
    await ctx.api.post('/api/v1/keys', { name: `greeting_${RUN}`, value: 'hello', scope: 'pack', owner: packA });
    const trigger = await ctx.api.post('/api/v1/triggers', { ref: `${packA}.alert`, label: 'alert' });
    expect(trigger.status).toBe(201);
    const enabled = await ctx.api.post(`/api/v1/triggers/${packA}.alert/webhooks/enable`);
    const rule = await ctx.api.post('/api/v1/rules', {
      ref: `${packA}.greet`, label: 'greet', trigger_ref: `${packA}.alert`, action_ref: 'core.echo',
      action_params: { message: `{{ keystore.greeting_${RUN} }} {{ event.payload.who }} {{ keystore.pack.token_${RUN} }}` },
    });
    expect(rule.status).toBe(201);
    const fired = await new ApiClient(ctx.platform.apiUrl).post(`/api/v1/webhooks/${enabled.body.data.webhook_key}`, { payload: { who: 'world' } });
    expect(fired.status).toBe(200);
    const execution = await waitFor(
      async () => {
        const res = await ctx.api.get(`/api/v1/enforcements?event=${fired.body.data.event_id}`);
        return res.body.data?.[0]?.executions?.[0] as number | undefined;
      },
      { timeoutMs: 20_000, what: 'the rule to create an execution' },
    );
    const id = execution;
    const done = await waitForTerminal(ctx.api, id, 30_000);
    expect(done.status).toBe('completed');
    expect(done.result.stdout).toBe(`hello world ${SECRET}\n`);
    // The parameter holds a decrypted key: shown masked and kept sealed, like a secret parameter.
    expect(done.config.message).toBe('********');
    const { rows } = await db.query(`SELECT config::text AS c FROM executions WHERE id = $1`, [id]);
    expect(rows[0].c).not.toContain(SECRET);
    await ctx.api.request('DELETE', `/api/v1/rules/${packA}.greet`);
  });
});

describe('attune key', () => {
  it('sets, gets (masked, then decrypted), lists and deletes keys', async () => {
    await withCli(ctx, async (cli) => {
      const name = `cli_${RUN}`;
      const set = await cli(['key', 'set', name, 'p@ss', '--encrypt', '--scope', 'pack', '--owner', packA, '--json']);
      expect(set.code).toBe(0);
      expect(JSON.parse(set.stdout)).toMatchObject({ ref: `pack.${packA}.${name}`, encrypted: true, value: '********' });
      const masked = await cli(['key', 'get', `pack.${packA}.${name}`, '--json']);
      expect(JSON.parse(masked.stdout).value).toBe('********');
      const clear = await cli(['key', 'get', name, '--scope', 'pack', '--owner', packA, '--decrypt', '--json']);
      expect(JSON.parse(clear.stdout).value).toBe('p@ss');
      const list = await cli(['key', 'list', '--scope', 'pack', '--owner', packA]);
      expect(list.code).toBe(0);
      expect(list.stdout).toContain(`pack.${packA}.${name}`);
      expect(list.stdout).not.toContain('p@ss');
      expect((await cli(['key', 'delete', `pack.${packA}.${name}`])).code).toBe(0);
      expect((await cli(['key', 'get', `pack.${packA}.${name}`])).code).toBe(4);
    });
  });
});
