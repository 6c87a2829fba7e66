import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { loadSession, onSessionChange, saveTokens } from '../auth/session';
import { api, ApiError, authFetch, requestJson } from './client';

// The token handling of every API call: one refresh however many calls see the 401 together,
// and the end of the session when the refresh is refused too.

class MemoryStorage {
  private items = new Map<string, string>();
  getItem(k: string) {
    return this.items.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.items.set(k, v);
  }
  removeItem(k: string) {
    this.items.delete(k);
  }
}

const tokens = (n: number) => ({
  access_token: `access-${n}`,
  refresh_token: `refresh-${n}`,
  token_type: 'Bearer' as const,
  expires_in: 3600,
  user: { id: 1, login: 'test@attune.local', display_name: null },
});
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

let fetchMock: jest.Mock<(input: string, init?: RequestInit) => Promise<Response>>;
let validToken: string;
let refreshes: number;
let refreshAllowed: boolean;

beforeEach(() => {
  (globalThis as { sessionStorage?: unknown }).sessionStorage = new MemoryStorage();
  validToken = 'access-2';
  refreshes = 0;
  refreshAllowed = true;
  fetchMock = jest.fn(async (input: string, init?: RequestInit) => {
    if (input === '/auth/refresh') {
      refreshes++;
      const body = JSON.parse(String(init?.body));
      return refreshAllowed && body.refresh_token === 'refresh-1' ? json(200, { data: tokens(2) }) : json(401, { error: 'invalid refresh token', code: 'UNAUTHORIZED' });
    }
    const auth = new Headers(init?.headers).get('authorization');
    return auth === `Bearer ${validToken}` ? json(200, { data: { ok: true } }) : json(401, { error: 'token expired', code: 'UNAUTHORIZED' });
  });
  globalThis.fetch = fetchMock as unknown as typeof fetch;
  saveTokens(tokens(1));
});

afterEach(() => {
  delete (globalThis as { sessionStorage?: unknown }).sessionStorage;
});

describe('authFetch', () => {
  it('sends the access token', async () => {
    validToken = 'access-1';
    expect((await authFetch('/api/v1/executions')).status).toBe(200);
    expect(refreshes).toBe(0);
  });

  it('refreshes an expired token once for calls that fail together, and retries them with the new one', async () => {
    const answers = await Promise.all([api('/api/v1/executions'), api('/api/v1/actions'), api('/auth/me')]);
    expect(answers).toEqual([{ data: { ok: true } }, { data: { ok: true } }, { data: { ok: true } }]);
    expect(refreshes).toBe(1);
    expect(loadSession()).toMatchObject({ accessToken: 'access-2', refreshToken: 'refresh-2' });
  });

  it('ends the session as expired when the refresh is refused too', async () => {
    refreshAllowed = false;
    const events: Array<[unknown, unknown]> = [];
    const off = onSessionChange((s, reason) => events.push([s, reason]));
    const err = await api('/api/v1/executions').catch((e) => e);
    off();
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    expect(loadSession()).toBeNull();
    expect(events).toEqual([[null, 'expired']]);
  });

  it('answers an API error with its code, message and field details', async () => {
    fetchMock.mockImplementationOnce(async () =>
      json(422, { error: 'parameters do not match the schema of core.local', code: 'VALIDATION_ERROR', details: [{ field: 'cmd', message: 'is required' }, { bogus: 1 }] }),
    );
    const err = (await api('/api/v1/executions/execute', { method: 'post', json: { action_ref: '' } }).catch((e) => e)) as ApiError;
    expect(err.code).toBe('VALIDATION_ERROR');
    expect(err.message).toBe('parameters do not match the schema of core.local');
    expect(err.fieldErrors).toEqual([{ field: 'cmd', message: 'is required' }]);
    expect(new Headers(fetchMock.mock.calls[0][1]?.headers).get('content-type')).toBe('application/json');
  });
});

describe('a 401 that arrives after another call refreshed', () => {
  it('is retried with the new token, without a second refresh', async () => {
    // The first call refreshes; the second was sent with the old token before that and fails after.
    let releaseSecond!: () => void;
    const secondHeld = new Promise<void>((r) => (releaseSecond = r));
    const real = fetchMock.getMockImplementation()!;
    fetchMock.mockImplementation(async (input, init) => {
      const res = await real(input, init);
      if (input === '/api/v1/held' && res.status === 401) await secondHeld;
      return res;
    });
    const second = requestJson('/api/v1/held');
    await api('/api/v1/executions');
    expect(refreshes).toBe(1);
    releaseSecond();
    expect(await second).toEqual({ data: { ok: true } });
    expect(refreshes).toBe(1);
  });
});
