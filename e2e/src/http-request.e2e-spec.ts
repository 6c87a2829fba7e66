import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execute, usePlatform, waitForTerminal } from './support';

// core.http_request against a server this test starts on loopback. 127.0.0.2 is configured as a
// denied range: the refused request never leaves loopback either.
let server: Server;
let base: string;
const seen: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method as string, url: req.url as string, headers: req.headers, body });
      if (req.url?.startsWith('/missing')) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'no such thing' }));
      } else if (req.url?.startsWith('/to-denied')) {
        res.writeHead(302, { location: `http://127.0.0.2:${(server.address() as AddressInfo).port}/items/9` }).end();
      } else if (req.url?.startsWith('/moved')) {
        res.writeHead(302, { location: '/items/7' }).end();
      } else if (req.url?.startsWith('/text')) {
        res.writeHead(200, { 'content-type': 'text/plain', 'x-served-by': 'loopback' }).end('plain words');
      } else if (req.url?.startsWith('/large')) {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('z'.repeat(200_000));
      } else {
        res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json', 'x-served-by': 'loopback' });
        res.end(JSON.stringify({ method: req.method, path: req.url, received: body ? JSON.parse(body) : null }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

const ctx = usePlatform('http-request', { ATTUNE_HTTP_REQUEST_DENY: '169.254.0.0/16,127.0.0.2/32' });

afterAll(async () => {
  await new Promise((r) => server.close(r));
});

async function request(parameters: Record<string, unknown>) {
  const { id } = await execute(ctx.api, 'core.http_request', parameters);
  return waitForTerminal(ctx.api, id, 60_000);
}

describe('core.http_request', () => {
  it('is in the catalogue with its parameters', async () => {
    const res = await ctx.api.get('/api/v1/actions/core.http_request');
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ ref: 'core.http_request', runtime: 'node', output_format: 'json' });
    const listed = await ctx.api.get('/api/v1/actions?pack_ref=core');
    expect(listed.body.data.map((a: { ref: string }) => a.ref)).toContain('core.http_request');
  });

  it('GETs JSON: status, headers and the body, parsed, in result.data', async () => {
    const done = await request({ url: `${base}/items/1`, headers: { 'x-trace': 'e2e' }, query_params: { q: 'a b' } });
    expect(done.status).toBe('completed');
    expect(done.result.data).toMatchObject({
      status_code: 200,
      success: true,
      headers: { 'content-type': 'application/json', 'x-served-by': 'loopback' },
      json: { method: 'GET', path: '/items/1?q=a+b', received: null },
      url: `${base}/items/1?q=a+b`,
    });
    expect(JSON.parse(done.result.data.body)).toEqual(done.result.data.json);
    expect(seen.at(-1)?.headers['x-trace']).toBe('e2e');
  });

  it('POSTs a JSON body and answers the created status', async () => {
    const done = await request({ url: `${base}/items`, method: 'POST', body: { name: 'widget', tags: ['a', 'b'] } });
    expect(done.status).toBe('completed');
    expect(done.result.data).toMatchObject({ status_code: 201, success: true, json: { method: 'POST', received: { name: 'widget', tags: ['a', 'b'] } } });
    expect(seen.at(-1)?.headers['content-type']).toBe('application/json');
  });

  it('returns a text body as it is, with json null', async () => {
    const done = await request({ url: `${base}/text` });
    expect(done.result.data).toMatchObject({ status_code: 200, body: 'plain words', json: null });
  });

  it('follows redirects to the final URL', async () => {
    const done = await request({ url: `${base}/moved` });
    expect(done.result.data).toMatchObject({ status_code: 200, url: `${base}/items/7`, json: { path: '/items/7' } });
  });

  it('fails on a status that is not expected, keeping the response in result.data', async () => {
    const done = await request({ url: `${base}/missing` });
    expect(done.status).toBe('failed');
    expect(done.result.data).toMatchObject({ status_code: 404, success: false, json: { error: 'no such thing' } });
    expect(done.result.data.error).toContain('404 is not an expected one (2xx)');
  });

  it('succeeds on a status listed in expected_status', async () => {
    const done = await request({ url: `${base}/missing`, expected_status: [404, 410] });
    expect(done.status).toBe('completed');
    expect(done.result.data).toMatchObject({ status_code: 404, success: true });
  });

  it('bounds the response body it keeps', async () => {
    const done = await request({ url: `${base}/large`, max_response_bytes: 1000 });
    expect(done.status).toBe('completed');
    expect(done.result.data.body).toHaveLength(1000);
    expect(done.result.data.body_truncated).toBe(true);
  });

  it('refuses an address in a denied range without connecting', async () => {
    const before = seen.length;
    const done = await request({ url: `http://127.0.0.2:${(server.address() as AddressInfo).port}/items/1` });
    expect(done.status).toBe('failed');
    expect(done.result.data).toMatchObject({ status_code: 0, success: false });
    expect(done.result.data.error).toMatch(/^refused: 127\.0\.0\.2 is in a denied address range/);
    // The same address written as IPv4-mapped IPv6 is the same address.
    const mapped = await request({ url: `http://[::ffff:127.0.0.2]:${(server.address() as AddressInfo).port}/items/1` });
    expect(mapped.result.data.error).toMatch(/denied address range/);
    expect(seen.length).toBe(before);
    // A redirect into a denied range is refused the same way.
    const redirected = await request({ url: `${base}/to-denied` });
    expect(redirected.status).toBe('failed');
    expect(redirected.result.data.error).toMatch(/^refused: 127\.0\.0\.2 is in a denied address range/);
    expect(seen.map((r) => r.url)).not.toContain('/items/9');
  });

  it('refuses a URL that is not http(s) with 422', async () => {
    const res = await ctx.api.post('/api/v1/executions/execute', { action_ref: 'core.http_request', parameters: { url: 'file:///etc/passwd' } });
    expect(res.status).toBe(422);
  });
});
