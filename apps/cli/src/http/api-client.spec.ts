import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigStore } from '../config/config-store';
import { CliError, ExitCode } from '../errors/exit-codes';
import { ApiClient, describeApiError, normalizeServerUrl } from './api-client';

/** The CliError a promise rejects with (failing the test if it resolves). */
const failure = (p: Promise<unknown>): Promise<CliError> =>
  p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e as CliError,
  );

interface Call {
  url: string;
  method: string;
  auth?: string;
  body?: string;
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const tokens = (n: number) => ({ data: { access_token: `access-${n}`, refresh_token: `refresh-${n}`, token_type: 'Bearer', expires_in: 3600, user: { id: 1, login: 'ann', display_name: null } } });

let dir: string;
let store: ConfigStore;
const NOW = Date.parse('2026-01-01T00:00:00Z');

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'attune-cli-client-'));
  store = new ConfigStore(dir);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** A fake server: `valid` is the access token it accepts; refresh tokens listed in `refreshable` work. */
function fakeServer(state: { valid: string; refreshable: string[]; issued: number }) {
  const calls: Call[] = [];
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    const headers = (init?.headers ?? {}) as Record<string, string>;
    const call: Call = { url, method: init?.method ?? 'GET', auth: headers.authorization, body: typeof init?.body === 'string' ? init.body : undefined };
    calls.push(call);
    if (url.endsWith('/auth/refresh')) {
      const { refresh_token } = JSON.parse(call.body ?? '{}');
      if (!state.refreshable.includes(refresh_token)) return json(401, { error: 'invalid token', code: 'UNAUTHORIZED' });
      state.issued++;
      state.valid = `access-${state.issued}`;
      return json(200, tokens(state.issued));
    }
    if (call.auth !== `Bearer ${state.valid}`) return json(401, { error: 'invalid token', code: 'UNAUTHORIZED' });
    return json(200, { data: { ok: true } });
  }) as typeof fetch;
  return { calls, fetchImpl };
}

describe('ApiClient', () => {
  it('refreshes after a 401 and retries the call once, storing the new tokens with mode 0600', async () => {
    await store.save({ url: 'http://api', access_token: 'stale', refresh_token: 'refresh-0', access_expires_at: new Date(NOW + 3600_000).toISOString() });
    const server = fakeServer({ valid: 'fresh', refreshable: ['refresh-0'], issued: 0 });
    const api = new ApiClient(store, server.fetchImpl, () => NOW);
    await expect(api.get('/api/v1/things')).resolves.toEqual({ ok: true });
    expect(server.calls.map((c) => `${c.method} ${new URL(c.url).pathname} ${c.auth ?? ''}`.trim())).toEqual([
      'GET /api/v1/things Bearer stale',
      'POST /auth/refresh',
      'GET /api/v1/things Bearer access-1',
    ]);
    const saved = await store.load();
    expect(saved).toMatchObject({ access_token: 'access-1', refresh_token: 'refresh-1', access_expires_at: new Date(NOW + 3600_000).toISOString() });
    const { statSync } = await import('node:fs');
    expect(statSync(store.path).mode & 0o777).toBe(0o600);
  });

  it('refreshes before the call when the access token is about to expire', async () => {
    await store.save({ url: 'http://api', access_token: 'old', refresh_token: 'refresh-0', access_expires_at: new Date(NOW + 10_000).toISOString() });
    const server = fakeServer({ valid: 'none', refreshable: ['refresh-0'], issued: 0 });
    await new ApiClient(store, server.fetchImpl, () => NOW).get('/x');
    expect(server.calls.map((c) => new URL(c.url).pathname)).toEqual(['/auth/refresh', '/x']);
  });

  it('shares one refresh between parallel calls', async () => {
    await store.save({ url: 'http://api', access_token: 'stale', refresh_token: 'refresh-0', access_expires_at: new Date(NOW - 1).toISOString() });
    const server = fakeServer({ valid: 'none', refreshable: ['refresh-0'], issued: 0 });
    const api = new ApiClient(store, server.fetchImpl, () => NOW);
    await Promise.all([api.get('/a'), api.get('/b')]);
    expect(server.calls.filter((c) => c.url.endsWith('/auth/refresh'))).toHaveLength(1);
  });

  it('says the login expired (exit 3) when the refresh token is refused too', async () => {
    await store.save({ url: 'http://api', access_token: 'stale', refresh_token: 'expired', access_expires_at: new Date(NOW + 3600_000).toISOString() });
    const server = fakeServer({ valid: 'fresh', refreshable: [], issued: 0 });
    const err = await failure(new ApiClient(store, server.fetchImpl, () => NOW).get('/x'));
    expect(err).toBeInstanceOf(CliError);
    expect(err.exitCode).toBe(ExitCode.Auth);
    expect(err.message).toMatch(/login has expired.*attune login/);
  });

  it('says not logged in (exit 3) without a config, before any request', async () => {
    const server = fakeServer({ valid: 'x', refreshable: [], issued: 0 });
    const err = await failure(new ApiClient(store, server.fetchImpl).get('/x'));
    expect(err.exitCode).toBe(ExitCode.Auth);
    expect(err.message).toMatch(/Not logged in/);
    expect(server.calls).toHaveLength(0);
  });

  it('maps an unreachable server to exit 5, naming it', async () => {
    await store.save({ url: 'http://127.0.0.1:9', access_token: 'a', refresh_token: 'r', access_expires_at: new Date(NOW + 3600_000).toISOString() });
    const refused = (async () => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }) });
    }) as typeof fetch;
    const err = await failure(new ApiClient(store, refused, () => NOW).get('/x'));
    expect(err.exitCode).toBe(ExitCode.Unreachable);
    expect(err.message).toMatch(/Cannot reach the Attune server at http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\)/);
  });

  it.each([
    [404, ExitCode.NotFound],
    [403, ExitCode.Forbidden],
    [409, ExitCode.Rejected],
    [422, ExitCode.Rejected],
    [500, ExitCode.Failed],
  ])('maps HTTP %d to exit %d with the server message', async (status, code) => {
    await store.save({ url: 'http://api', access_token: 'a', refresh_token: 'r', access_expires_at: new Date(NOW + 3600_000).toISOString() });
    const fetchImpl = (async () => json(status, { error: `boom ${status}`, code: 'X' })) as unknown as typeof fetch;
    const err = await failure(new ApiClient(store, fetchImpl, () => NOW).get('/x'));
    expect(err.exitCode).toBe(code);
    expect(err.message).toBe(`boom ${status}`);
  });

  it('stores the URL and tokens on login and keeps only the URL on logout', async () => {
    const calls: Array<{ url: string; body: unknown }> = [];
    const fetchImpl = (async (url: URL | string, init?: RequestInit) => {
      calls.push({ url: String(url), body: init?.body ? JSON.parse(String(init.body)) : undefined });
      return String(url).endsWith('/auth/logout') ? new Response(null, { status: 204 }) : json(200, tokens(7));
    }) as unknown as typeof fetch;
    const api = new ApiClient(store, fetchImpl, () => NOW);
    await api.login('http://api', 'ann', 'pw');
    expect(await store.load()).toMatchObject({ url: 'http://api', login: 'ann', access_token: 'access-7', refresh_token: 'refresh-7' });
    await api.logout();
    expect(await store.load()).toEqual({ url: 'http://api' });
    // The server is asked to revoke the refresh token.
    expect(calls.at(-1)).toEqual({ url: 'http://api/auth/logout', body: { refresh_token: 'refresh-7' } });
  });
});

describe('helpers', () => {
  it('normalizes server URLs', () => {
    expect(normalizeServerUrl('localhost:8080')).toBe('http://localhost:8080');
    expect(normalizeServerUrl('https://attune.example.com/api/')).toBe('https://attune.example.com/api');
    expect(() => normalizeServerUrl('ftp://x')).toThrow(/not an http/);
  });

  it('lists validation details under the message', () => {
    expect(describeApiError(422, { error: 'request validation failed', details: [{ field: 'older_than', message: 'must look like 30d' }] })).toBe(
      'request validation failed:\n  older_than must look like 30d',
    );
    expect(describeApiError(502, 'Bad gateway')).toBe('the server answered HTTP 502');
  });
});

describe('a server and token from the environment (inside an action, or ATTUNE_URL/ATTUNE_TOKEN)', () => {
  it('sends the token as it is, with no login, no refresh and nothing saved', async () => {
    const calls: Call[] = [];
    const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
      calls.push({ url: String(input), method: init?.method ?? 'GET', auth: (init?.headers as Record<string, string>)?.authorization });
      return calls.length === 1 ? json(200, { data: { id: 7 } }) : json(401, { error: 'execution token revoked', code: 'UNAUTHORIZED' });
    }) as typeof fetch;
    const client = new ApiClient(store, fetchImpl, () => NOW, { url: 'http://127.0.0.1:8080/', token: 'exec-token', tokenSource: 'ATTUNE_API_TOKEN' });
    expect(await client.get('/api/v1/executions/7')).toEqual({ id: 7 });
    expect(calls[0]).toMatchObject({ url: 'http://127.0.0.1:8080/api/v1/executions/7', auth: 'Bearer exec-token' });
    const refused = await failure(client.get('/api/v1/executions/7'));
    expect(refused.exitCode).toBe(ExitCode.Auth);
    expect(refused.message).toContain('ATTUNE_API_TOKEN');
    // One call per request: a refused environment token is never "refreshed".
    expect(calls).toHaveLength(2);
    expect(await store.load()).toEqual({});
  });
});
