import { ApiClient, SERVICES, waitFor } from '@attune/testing';
import { usePlatform } from './support';

const ctx = usePlatform('platform');

describe('auth', () => {
  it('logs the development admin in, refreshes and answers /auth/me', async () => {
    const anon = new ApiClient(ctx.platform.apiUrl);
    const login = await anon.post('/auth/login', { login: 'test@attune.local', password: 'TestPass123!' });
    expect(login.status).toBe(200);
    expect(login.body.data).toMatchObject({ token_type: 'Bearer', user: { login: 'test@attune.local' } });
    expect(login.body.data.expires_in).toBeGreaterThan(0);

    const refreshed = await anon.post('/auth/refresh', { refresh_token: login.body.data.refresh_token });
    expect(refreshed.status).toBe(200);
    anon.token = refreshed.body.data.access_token;
    const me = await anon.get('/auth/me');
    expect(me.status).toBe(200);
    expect(me.body.data).toMatchObject({ login: 'test@attune.local', roles: ['admin'] });
  });

  it('refuses bad credentials, a refresh token used as access token, and an access token used to refresh', async () => {
    const anon = new ApiClient(ctx.platform.apiUrl);
    const bad = await anon.post('/auth/login', { login: 'test@attune.local', password: 'wrong' });
    expect(bad.status).toBe(401);
    expect(bad.body).toEqual({ error: 'invalid login or password', code: 'UNAUTHORIZED' });
    const login = await anon.post('/auth/login', { login: 'test@attune.local', password: 'TestPass123!' });
    anon.token = login.body.data.refresh_token;
    expect((await anon.get('/auth/me')).status).toBe(401);
    const wrongKind = await anon.post('/auth/refresh', { refresh_token: login.body.data.access_token });
    expect(wrongKind.status).toBe(401);
  });
});

describe('operations', () => {
  it('answers GET /health on every service after checking its dependencies', async () => {
    for (const s of SERVICES) {
      const res = await fetch(ctx.platform.healthUrl(s));
      const body = (await res.json()) as any;
      expect(res.status).toBe(200);
      expect(body.status).toBe('ok');
      expect(body.checks.broker.status).toBe('up');
      if (s !== 'worker') expect(body.checks.database.status).toBe('up');
      else expect(body.checks.database).toBeUndefined();
    }
  });

  it('serves Prometheus metrics on every service (on the api, to an administrator)', async () => {
    for (const s of SERVICES) {
      // The api's port is public: its /metrics needs a token (security-auth.e2e-spec.ts has the refusals).
      const headers: Record<string, string> = s === 'api' ? { authorization: `Bearer ${ctx.api.token}` } : {};
      const res = await fetch(ctx.platform.healthUrl(s).replace('/health', '/metrics'), { headers });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('attune_process_cpu_seconds_total');
    }
  });

  it('publishes the OpenAPI spec with the execution routes', async () => {
    const res = await fetch(`${ctx.platform.apiUrl}/api-spec/openapi.json`);
    expect(res.status).toBe(200);
    const spec = (await res.json()) as any;
    expect(spec.openapi).toMatch(/^3\./);
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/auth/login', '/api/v1/executions/execute', '/api/v1/executions/{id}', '/api/v1/actions']),
    );
    expect(spec.components.schemas.ExecuteDto.required).toContain('action_ref');
  });

  it('lists the running worker from its heartbeats', async () => {
    const worker = await waitFor(
      async () => {
        const res = await ctx.api.get('/api/v1/workers');
        return res.body.data.find((w: { status: string; pool: string }) => w.status === 'online' && w.pool === 'default');
      },
      { timeoutMs: 15_000, what: 'the worker to appear' },
    );
    expect(worker).toMatchObject({ runtimes: ['shell', 'python', 'node'], capacity: expect.any(Number) });
  });

  it('registers the core pack and its actions at startup', async () => {
    const res = await ctx.api.get('/api/v1/actions?pack_ref=core');
    expect(res.status).toBe(200);
    expect(res.body.data.map((a: { ref: string }) => a.ref)).toEqual(['core.ask', 'core.echo', 'core.http_request', 'core.inquiry', 'core.local', 'core.noop', 'core.sleep']);
    const pack = await ctx.api.get('/api/v1/packs/core');
    expect(pack.body.data).toMatchObject({ ref: 'core', is_standard: true });
  });

  it('answers unknown routes with the error envelope', async () => {
    const res = await ctx.api.get('/api/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('NOT_FOUND');
  });
});
