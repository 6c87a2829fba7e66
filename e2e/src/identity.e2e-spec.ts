import { ApiClient, testDatabaseUrl } from '@attune/testing';
import { DEVELOPMENT_JWT_SECRET } from '@attune/service-kit';
import pg from 'pg';
import { createHmac, randomBytes, randomUUID, scryptSync } from 'node:crypto';
import { statusesWithExecutionToken, usePlatform, waitForTerminal } from './support';

// Identity acceptance: registration, roles on routes, user administration, and tokens that are
// expired, tampered with or revoked.
const RUN = randomUUID().slice(0, 8);
const ctx = usePlatform('identity', { ATTUNE_BCRYPT_ROUNDS: '10' });

const b64url = (v: Buffer | string) => Buffer.from(v).toString('base64url');

/** A JWT signed as the platform signs them (HS256 with the development secret). */
function signJwt(claims: Record<string, unknown>, secret = DEVELOPMENT_JWT_SECRET): string {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify(claims));
  return `${head}.${body}.${b64url(createHmac('sha256', secret).update(`${head}.${body}`).digest())}`;
}

async function register(login: string, password = 'correct horse 1') {
  const client = new ApiClient(ctx.platform.apiUrl);
  const res = await client.post('/auth/register', { login, password, display_name: login });
  expect(res.status).toBe(200);
  client.token = res.body.data.access_token;
  return { client, user: res.body.data.user, tokens: res.body.data };
}

async function upload(client: ApiClient) {
  const form = new FormData();
  form.append('pack', new Blob([new Uint8Array([0x1f, 0x8b])]), 'pack.tar.gz');
  const res = await fetch(new URL('/api/v1/packs/upload', client.baseUrl), { method: 'POST', headers: { authorization: `Bearer ${client.token}` }, body: form });
  return { status: res.status, body: (await res.json()) as any };
}

describe('registration', () => {
  it('creates a viewer account that can sign in, and refuses a taken login or a weak password', async () => {
    const { client, user } = await register(`reader-${RUN}@example.com`);
    const me = await client.get('/auth/me');
    expect(me.body.data).toEqual({ id: user.id, login: `reader-${RUN}@example.com`, display_name: `reader-${RUN}@example.com`, roles: ['viewer'] });
    const again = await client.post('/auth/register', { login: `reader-${RUN}@example.com`, password: 'another pass 2' });
    expect(again.status).toBe(409);
    const weak = await client.post('/auth/register', { login: `weak-${RUN}`, password: 'short' });
    expect(weak.status).toBe(422);
    expect(weak.body.details).toEqual([{ field: 'password', message: 'password must be longer than or equal to 8 characters' }]);
    const signIn = new ApiClient(ctx.platform.apiUrl);
    await signIn.login(`reader-${RUN}@example.com`, 'correct horse 1');
  });
});

describe('roles', () => {
  it('lets a viewer read executions but not run them or upload packs', async () => {
    const { client } = await register(`viewer-${RUN}`);
    expect((await client.get('/api/v1/executions')).status).toBe(200);
    expect((await client.get('/api/v1/actions')).status).toBe(200);
    const run = await client.post('/api/v1/executions/execute', { action_ref: 'core.noop' });
    expect(run.status).toBe(403);
    expect(run.body).toEqual({ error: 'this needs the operator role', code: 'FORBIDDEN' });
    expect((await upload(client)).status).toBe(403);
  });

  it('lets an operator run executions but not upload packs or manage users', async () => {
    const { client, user } = await register(`operator-${RUN}`);
    const promoted = await ctx.api.request('PUT', `/api/v1/users/${user.id}`, { roles: ['operator'] });
    expect(promoted.status).toBe(200);
    expect(promoted.body.data).toMatchObject({ id: user.id, roles: ['operator'], is_active: true });
    // Roles are read on every request: the existing token carries the promotion at once.
    const created = await client.post('/api/v1/executions/execute', { action_ref: 'core.echo', parameters: { message: 'op' } });
    expect(created.status).toBe(201);
    expect((await waitForTerminal(client, created.body.data.id)).status).toBe('completed');
    const refused = await upload(client);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('this needs the admin role');
    expect((await client.get('/api/v1/users')).status).toBe(403);
    expect((await client.post('/api/v1/packs', { ref: `p${RUN}`, label: 'x', version: '1' })).status).toBe(403);
  });
});

describe('tokens', () => {
  it('answers 401 for an expired token and for a tampered one', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = new ApiClient(ctx.platform.apiUrl, signJwt({ typ: 'access', sub: '1', login: 'test@attune.local', roles: ['admin'], iat: now - 7200, exp: now - 3600 }));
    const res = await expired.get('/api/v1/executions');
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'token expired', code: 'UNAUTHORIZED' });

    const { tokens } = await register(`tamper-${RUN}`);
    const [head, body, sig] = tokens.access_token.split('.');
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString());
    const forged = `${head}.${b64url(JSON.stringify({ ...claims, roles: ['admin'] }))}.${sig}`;
    const tampered = await new ApiClient(ctx.platform.apiUrl, forged).get('/api/v1/users');
    expect(tampered.status).toBe(401);
    expect(tampered.body).toEqual({ error: 'invalid token', code: 'UNAUTHORIZED' });
    const otherKey = await new ApiClient(ctx.platform.apiUrl, signJwt({ ...claims, roles: ['admin'] }, 'not-the-platform-secret-at-all')).get('/api/v1/users');
    expect(otherKey.status).toBe(401);
  });

  it('revokes every earlier token when the password changes, and issues working new ones', async () => {
    const { client, tokens } = await register(`changer-${RUN}`, 'first password 1');
    const wrong = await client.post('/auth/password', { current_password: 'nope nope', new_password: 'second password 2' });
    expect(wrong.status).toBe(422);
    const changed = await client.post('/auth/password', { current_password: 'first password 1', new_password: 'second password 2' });
    expect(changed.status).toBe(200);
    expect((await client.get('/auth/me')).body).toEqual({ error: 'token revoked; sign in again', code: 'UNAUTHORIZED' });
    expect((await client.post('/auth/refresh', { refresh_token: tokens.refresh_token })).status).toBe(401);
    client.token = changed.body.data.access_token;
    expect((await client.get('/auth/me')).status).toBe(200);
    await new ApiClient(ctx.platform.apiUrl).login(`changer-${RUN}`, 'second password 2');
  });
});

describe('user administration', () => {
  it('creates users with roles, resets a password, deactivates and deletes', async () => {
    const created = await ctx.api.post('/api/v1/users', { login: `made-${RUN}`, password: 'made password 1', roles: ['operator', 'viewer'] });
    expect(created.status).toBe(201);
    const id = created.body.data.id;
    const user = new ApiClient(ctx.platform.apiUrl);
    await user.login(`made-${RUN}`, 'made password 1');

    expect((await ctx.api.request('PUT', `/api/v1/users/${id}`, { roles: ['superuser'] })).status).toBe(422);
    expect((await ctx.api.request('PUT', `/api/v1/users/${id}`, { password: 'reset password 2' })).status).toBe(200);
    await new ApiClient(ctx.platform.apiUrl).login(`made-${RUN}`, 'reset password 2');

    expect((await ctx.api.request('PUT', `/api/v1/users/${id}`, { is_active: false })).body.data.is_active).toBe(false);
    expect((await user.get('/api/v1/executions')).body).toEqual({ error: 'this account is deactivated', code: 'UNAUTHORIZED' });
    expect((await user.post('/auth/login', { login: `made-${RUN}`, password: 'reset password 2' })).status).toBe(401);

    expect((await ctx.api.request('DELETE', `/api/v1/users/${id}`)).status).toBe(204);
    expect((await ctx.api.get(`/api/v1/users/${id}`)).status).toBe(404);
    // (The last-administrator rule is tested on a database of its own, in the persistence
    // integration tests: this database is shared with other test files and their admins.)
  });

  it('still signs in users whose password was hashed by the earlier scrypt scheme, and upgrades the hash', async () => {
    const salt = randomBytes(16);
    const key = scryptSync('legacy password 1', salt, 64, { N: 16384, r: 8, p: 1 });
    const hash = ['scrypt', 16384, 8, 1, salt.toString('base64'), key.toString('base64')].join('$');
    const db = new pg.Client({ connectionString: testDatabaseUrl() });
    await db.connect();
    try {
      await db.query(`INSERT INTO identities (login, password_hash, roles) VALUES ($1, $2, '{viewer}')`, [`legacy-${RUN}`, hash]);
      await new ApiClient(ctx.platform.apiUrl).login(`legacy-${RUN}`, 'legacy password 1');
      const { rows } = await db.query(`SELECT password_hash FROM identities WHERE login = $1`, [`legacy-${RUN}`]);
      expect(rows[0].password_hash).toMatch(/^\$2b\$10\$/);
      await new ApiClient(ctx.platform.apiUrl).login(`legacy-${RUN}`, 'legacy password 1');
    } finally {
      await db.end();
    }
  });
});

describe('execution tokens', () => {
  it('may fetch only their own execution\'s pack, and nothing user-only', async () => {
    const paths = ['/api/v1/executions/$ATTUNE_EXEC_ID/pack', '/api/v1/executions/$((ATTUNE_EXEC_ID + 1))/pack', '/api/v1/users'];
    // Its own: an inline action runs no archive (404); another execution's: 403; users: 403.
    expect(await statusesWithExecutionToken(ctx.api, paths)).toBe('404 403 403\n');
  });
});
