import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigStore } from '../config/config-store';
import { type CliError, ExitCode } from '../errors/exit-codes';
import { ApiClient } from '../http/api-client';
import { NO_PROGRESS } from '../output/progress-bar';
import { openDownload, uploadDirect } from './direct';
import { HashingFileSource } from './upload';

const API = 'http://127.0.0.1:1';
const BUCKET = 'http://127.0.0.1:2/bucket/blobs/u/1-x';
const content = Buffer.from('direct bytes\n'.repeat(100));
const sha = createHash('sha256').update(content).digest('hex');
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

interface Call {
  url: string;
  method: string;
  auth?: string;
  body?: Buffer;
  headers: Record<string, string>;
}

/** A fake api and bucket: `routes` answers by "METHOD url-without-query". */
function fake(routes: Record<string, (call: Call) => Response | Promise<Response>>) {
  const calls: Call[] = [];
  const fetchImpl = (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = String(input);
    const headers = Object.fromEntries(Object.entries((init.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]));
    let body: Buffer | undefined;
    if (init.body && typeof init.body === 'object' && Symbol.asyncIterator in init.body) {
      const chunks: Buffer[] = [];
      for await (const c of init.body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(c));
      body = Buffer.concat(chunks);
    } else if (typeof init.body === 'string') body = Buffer.from(init.body);
    const call: Call = { url, method: init.method ?? 'GET', auth: headers.authorization, body, headers };
    calls.push(call);
    const route = routes[`${call.method} ${url.split('?')[0]}`];
    if (!route) throw Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    return route(call);
  }) as typeof fetch;
  return { calls, fetchImpl };
}

describe('direct transfers in the CLI', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'attune-cli-direct-'));
    file = join(dir, 'f.bin');
    await writeFile(file, content);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const client = (fetchImpl: typeof fetch) => new ApiClient(new ConfigStore(dir), fetchImpl, Date.now, { url: API, token: 'tok', tokenSource: 'ATTUNE_TOKEN' });
  const source = () => new HashingFileSource(file, content.length, NO_PROGRESS);
  const ticket = { upload_id: 'u1', method: 'PUT', url: `${BUCKET}?X-Amz-Signature=s`, headers: { 'content-length': String(content.length), 'x-amz-checksum-sha256': 'b64' }, expires_at: '', commit_url: '/api/v1/artifacts/7/versions/commit' };

  it('PUTs the file to the bucket with the signed headers and no api credentials, then commits', async () => {
    const { calls, fetchImpl } = fake({
      [`POST ${API}/api/v1/artifacts/7/versions/upload-url`]: () => json(201, { data: ticket }),
      [`PUT ${BUCKET}`]: () => new Response(null, { status: 200 }),
      [`POST ${API}/api/v1/artifacts/7/versions/commit`]: () => json(201, { data: { version: 1, sha256: sha, size_bytes: content.length } }),
    });
    const out = await uploadDirect(client(fetchImpl), 7, source(), {}, fetchImpl);
    expect(out).toEqual({ version: { version: 1, sha256: sha, size_bytes: content.length } });
    expect(JSON.parse(calls[0].body!.toString())).toEqual({ size: content.length, sha256: sha });
    expect(calls[1].auth).toBeUndefined();
    expect(calls[1].headers['x-amz-checksum-sha256']).toBe('b64');
    expect(calls[1].body).toEqual(content);
    expect(JSON.parse(calls[2].body!.toString())).toEqual({ upload_id: 'u1' });
  });

  it('falls back quietly when the server offers no direct upload, and with a reason when the bucket refuses', async () => {
    const fs = fake({
      [`POST ${API}/api/v1/artifacts/7/versions/upload-url`]: () => json(409, { error: 'no', code: 'CONFLICT', details: { reason: 'DIRECT_TRANSFER_UNAVAILABLE' } }),
    });
    expect(await uploadDirect(client(fs.fetchImpl), 7, source(), {}, fs.fetchImpl)).toEqual({ fallback: expect.any(String), offered: false, sha256: sha });
    const expired = fake({
      [`POST ${API}/api/v1/artifacts/7/versions/upload-url`]: () => json(201, { data: ticket }),
      [`PUT ${BUCKET}`]: () => new Response('<Error><Code>AccessDenied</Code></Error>', { status: 403 }),
    });
    expect(await uploadDirect(client(expired.fetchImpl), 7, source(), {}, expired.fetchImpl)).toEqual({ fallback: expect.stringContaining('403 AccessDenied'), offered: true, sha256: sha });
    expect(expired.calls.some((c) => c.url.includes('/commit'))).toBe(false);
  });

  it('fails with the checksum exit code when the server records other bytes than were sent', async () => {
    const { fetchImpl } = fake({
      [`POST ${API}/api/v1/artifacts/7/versions/upload-url`]: () => json(201, { data: ticket }),
      [`PUT ${BUCKET}`]: () => new Response(null, { status: 200 }),
      [`POST ${API}/api/v1/artifacts/7/versions/commit`]: () => json(201, { data: { version: 1, sha256: '0'.repeat(64), size_bytes: content.length } }),
    });
    const err = (await uploadDirect(client(fetchImpl), 7, source(), {}, fetchImpl).catch((e: unknown) => e)) as CliError;
    expect(err.exitCode).toBe(ExitCode.Checksum);
  });

  it('follows a download redirect without credentials, keeping the checksum header, and falls back when the bucket fails', async () => {
    const path = '/api/v1/artifacts/7/versions/1/download';
    const redirect = () => new Response(null, { status: 302, headers: { location: `${BUCKET}?sig=1`, 'x-checksum-sha256': sha } });
    const direct = fake({ [`GET ${API}${path}`]: redirect, [`GET ${BUCKET}`]: () => new Response(content, { status: 200 }) });
    const got = await openDownload(client(direct.fetchImpl), path, direct.fetchImpl);
    expect(got.direct).toBe(true);
    expect(got.response.headers.get('x-checksum-sha256')).toBe(sha);
    expect(Buffer.from(await got.response.arrayBuffer())).toEqual(content);
    expect(direct.calls[0].url).toContain('redirect=true');
    expect(direct.calls[1].auth).toBeUndefined();

    let asked = 0;
    const broken = fake({
      [`GET ${API}${path}`]: (call) => (call.url.includes('redirect=true') ? redirect() : (asked++, new Response(content, { status: 200 }))),
      [`GET ${BUCKET}`]: () => new Response('expired', { status: 403 }),
    });
    const fallback = await openDownload(client(broken.fetchImpl), path, broken.fetchImpl);
    expect(fallback.direct).toBe(false);
    expect(asked).toBe(1);
  });
});
