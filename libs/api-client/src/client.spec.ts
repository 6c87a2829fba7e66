import { describe, expect, it } from '@jest/globals';
import { createApiClient, EXECUTION_STATUSES, fillPath, isTerminal } from './index';

describe('the generated api client', () => {
  it('fills path templates, encoding each value, and refuses a missing one', () => {
    expect(fillPath('/api/v1/actions/{ref}', { ref: 'core.echo' })).toBe('/api/v1/actions/core.echo');
    expect(fillPath('/api/v1/artifacts/ref/{ref}', { ref: 'a/b c' })).toBe('/api/v1/artifacts/ref/a%2Fb%20c');
    expect(() => fillPath('/api/v1/executions/{id}')).toThrow('no value for {id}');
  });

  it('sends the token it is given, reads the answer typed by the spec, and keeps a request\'s own authorization', async () => {
    const seen: Array<{ url: string; auth: string | null }> = [];
    const fetch = (async (input: Request) => {
      seen.push({ url: input.url, auth: input.headers.get('authorization') });
      return new Response(JSON.stringify({ data: { id: 7, status: 'running' } }), { status: 200, headers: { 'content-type': 'application/json' } });
    }) as unknown as typeof globalThis.fetch;
    const client = createApiClient('http://api.test/', () => 'tok-1', { fetch });
    const { data } = await client.GET('/api/v1/executions/{id}', { params: { path: { id: 7 } } });
    expect(data?.data.status).toBe('running');
    await client.GET('/auth/me', { headers: { authorization: 'Bearer other' } });
    expect(seen).toEqual([
      { url: 'http://api.test/api/v1/executions/7', auth: 'Bearer tok-1' },
      { url: 'http://api.test/auth/me', auth: 'Bearer other' },
    ]);
  });

  it('lists the statuses from the spec, terminal ones included', () => {
    expect(EXECUTION_STATUSES).toContain('running');
    expect(['completed', 'running'].map(isTerminal)).toEqual([true, false]);
  });
});
