import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { usePlatformOnS3rver, withCli } from './support';

/**
 * Direct artifact transfers on the S3 driver against s3rver: a presigned PUT straight into the
 * bucket and a commit that artifact-store verifies before the version exists, and downloads as a
 * 302 to a presigned GET. s3rver does not check x-amz-checksum-sha256 itself, so these tests also
 * prove the commit's own check (a pinned copy, hashed): a wrong size or digest is refused with
 * no version made. An expired URL is refused by the bucket, and its commit finds nothing.
 */

const run = Date.now().toString(36);
const ctx = usePlatformOnS3rver('direct-transfers', `direct-e2e-${run}`, { ATTUNE_S3_PRESIGN_TTL_SECONDS: '120' }, { startTimeoutMs: 180_000 });
let n = 0;
const ref = (name: string) => `e2e.${run}.direct.${name}.${++n}`;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function createArtifact(name: string, extra: Record<string, unknown> = {}): Promise<number> {
  const res = await ctx.api.post('/api/v1/artifacts', { ref: ref(name), type: 'file_binary', name: `${name}.bin`, ...extra });
  expect(res.status).toBe(201);
  return res.body.data.id;
}

type Ticket = { upload_id: string; method: 'PUT'; url: string; headers: Record<string, string>; expires_at: string; commit_url: string };

async function uploadUrl(id: number, body: Record<string, unknown>): Promise<Ticket> {
  const res = await ctx.api.post(`/api/v1/artifacts/${id}/versions/upload-url`, body);
  expect(res.status).toBe(201);
  return res.body.data;
}

/** The PUT a client makes with the ticket; `body` may differ from what the URL was asked for. */
async function put(ticket: Ticket, body: Buffer): Promise<Response> {
  // fetch sets Content-Length from the body itself; the other signed headers go as given.
  const { 'content-length': _length, ...headers } = ticket.headers;
  return fetch(ticket.url, { method: 'PUT', headers, body });
}

const commit = (id: number, ticket: Ticket) => ctx.api.post(ticket.commit_url ?? `/api/v1/artifacts/${id}/versions/commit`, { upload_id: ticket.upload_id });
const versions = async (id: number) => (await ctx.api.get(`/api/v1/artifacts/${id}/versions`)).body.data as Array<{ version: number }>;

async function keysUnder(prefix: string): Promise<string[]> {
  const out = await ctx.raw.send(new ListObjectsV2Command({ Bucket: ctx.s3.bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key as string);
}

/** The staging key a ticket names (path-style: /<bucket>/<key>). */
const keyOf = (ticket: Ticket) => decodeURIComponent(new URL(ticket.url).pathname.slice(`/${ctx.s3.bucket}/`.length));

describe('direct uploads and downloads on S3', () => {
  it('uploads straight into the bucket, commits a verified version, and downloads by a redirect with the checksum', async () => {
    const id = await createArtifact('flow');
    const content = randomBytes(3 * 1024 * 1024 + 17);
    const digest = sha256(content);
    const ticket = await uploadUrl(id, { size: content.length, sha256: digest, content_type: 'application/x-test' });
    expect(ticket.method).toBe('PUT');
    expect(new URL(ticket.url).origin).toBe(ctx.s3.endpoint);
    expect(ticket.headers['x-amz-checksum-sha256']).toBe(Buffer.from(digest, 'hex').toString('base64'));
    expect(new URL(ticket.url).searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;content-type;host;x-amz-checksum-sha256');
    expect(Date.parse(ticket.expires_at) - Date.now()).toBeLessThanOrEqual(120_000);

    const putRes = await put(ticket, content);
    expect(putRes.status).toBe(200);
    const committed = await commit(id, ticket);
    expect(committed.status).toBe(201);
    expect(committed.body.data).toMatchObject({ artifact: id, version: 1, size_bytes: content.length, sha256: digest, content_type: 'application/x-test' });
    // The object the client could still write to is gone; the version's blob is a copy only the platform writes.
    expect(await keysUnder(keyOf(ticket))).toEqual([`${keyOf(ticket)}-pinned`]);

    // Committing the same upload again answers the same version.
    const again = await commit(id, ticket);
    expect(again.status).toBe(201);
    expect(again.body.data.version).toBe(1);
    expect(await versions(id)).toHaveLength(1);

    for (const path of [`/api/v1/artifacts/${id}/download`, `/api/v1/artifacts/${id}/versions/1/download`]) {
      const redirect = await fetch(new URL(`${path}?redirect=true`, ctx.platform.apiUrl), { headers: { authorization: `Bearer ${ctx.api.token}` }, redirect: 'manual' });
      expect(redirect.status).toBe(302);
      expect(redirect.headers.get('x-checksum-sha256')).toBe(digest);
      const location = redirect.headers.get('location') as string;
      expect(new URL(location).origin).toBe(ctx.s3.endpoint);
      expect(new URL(location).searchParams.get('response-content-disposition')).toContain('flow.bin');
      const fromBucket = await fetch(location);
      expect(fromBucket.status).toBe(200);
      expect(sha256(Buffer.from(await fromBucket.arrayBuffer()))).toBe(digest);
    }
    // Without redirect=true the api serves the bytes as before.
    const proxied = await fetch(new URL(`/api/v1/artifacts/${id}/download`, ctx.platform.apiUrl), { headers: { authorization: `Bearer ${ctx.api.token}` } });
    expect(proxied.status).toBe(200);
    expect(sha256(Buffer.from(await proxied.arrayBuffer()))).toBe(digest);
  });

  it('refuses an expired URL at the bucket, and its commit finds nothing: no version', async () => {
    const id = await createArtifact('expired');
    const content = randomBytes(4096);
    const ticket = await uploadUrl(id, { size: content.length, sha256: sha256(content), expires_in: 1 });
    expect(new URL(ticket.url).searchParams.get('X-Amz-Expires')).toBe('1');
    // Wait until the URL's lifetime has passed (the point of this test), then a little more for clock granularity.
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(ticket.expires_at) - Date.now()) + 1100));
    const putRes = await put(ticket, content);
    expect(putRes.status).toBe(403);
    expect(await putRes.text()).toMatch(/expired/i);
    const committed = await commit(id, ticket);
    expect(committed.status).toBe(409);
    expect(committed.body.details).toMatchObject({ reason: 'UPLOAD_MISSING' });
    expect(await versions(id)).toEqual([]);
    expect(await keysUnder(keyOf(ticket))).toEqual([]);
  });

  it('refuses a body of the wrong size: 422, no version, the object deleted', async () => {
    const id = await createArtifact('size');
    const announced = randomBytes(8192);
    const ticket = await uploadUrl(id, { size: announced.length, sha256: sha256(announced) });
    // A bucket that checks signatures refuses this at the PUT (Content-Length is signed); s3rver stores it.
    await put(ticket, Buffer.concat([announced, Buffer.from('extra')]));
    const committed = await commit(id, ticket);
    expect(committed.status).toBe(422);
    expect(committed.body.error).toMatch(/8197 bytes, not the 8192/);
    expect(await versions(id)).toEqual([]);
    expect(await keysUnder(keyOf(ticket))).toEqual([]);
  });

  it('refuses content that does not hash to the announced sha256: 422, no version, nothing left', async () => {
    const id = await createArtifact('checksum');
    const announced = randomBytes(64 * 1024);
    const other = Buffer.from(announced);
    other[1000] ^= 0xff;
    const ticket = await uploadUrl(id, { size: announced.length, sha256: sha256(announced) });
    // S3 and MinIO refuse this PUT (BadDigest); s3rver does not check, so the commit must.
    expect((await put(ticket, other)).status).toBe(200);
    const committed = await commit(id, ticket);
    expect(committed.status).toBe(422);
    expect(committed.body.error).toContain(`hashes to ${sha256(other)}`);
    expect(await versions(id)).toEqual([]);
    expect(await keysUnder(keyOf(ticket))).toEqual([]);
    const downloads = await ctx.api.get(`/api/v1/artifacts/${id}/download?redirect=true`);
    expect(downloads.status).toBe(404);
  });

  it('refuses an upload_id that was altered or belongs to another artifact', async () => {
    const id = await createArtifact('handle');
    const otherId = await createArtifact('handle-other');
    const ticket = await uploadUrl(id, { size: 1, sha256: sha256(Buffer.from('x')) });
    const [body, mac] = ticket.upload_id.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), s: 2 })).toString('base64url');
    expect((await ctx.api.post(`/api/v1/artifacts/${id}/versions/commit`, { upload_id: `${forged}.${mac}` })).status).toBe(422);
    expect((await ctx.api.post(`/api/v1/artifacts/${otherId}/versions/commit`, { upload_id: ticket.upload_id })).status).toBe(422);
    expect((await ctx.api.post(`/api/v1/artifacts/${id}/versions/upload-url`, { size: 1, sha256: 'nothex' })).status).toBe(422);
  });

  it('the CLI uploads and downloads by the direct path and verifies the bytes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'attune-direct-cli-'));
    try {
      const file = join(dir, 'report.bin');
      const content = randomBytes(2 * 1024 * 1024 + 3);
      writeFileSync(file, content);
      await withCli(ctx, async (cli) => {
        const up = await cli(['artifact', 'upload', file, '--ref', ref('cli'), '--json']);
        expect(up.code).toBe(0);
        const uploaded = JSON.parse(up.stdout);
        expect(uploaded.transfer).toBe('direct');
        expect(uploaded.version).toMatchObject({ version: 1, sha256: sha256(content), size_bytes: content.length });
        const target = join(dir, 'back.bin');
        const down = await cli(['artifact', 'download', String(uploaded.artifact.id), '-o', target, '--json']);
        expect(down.code).toBe(0);
        expect(JSON.parse(down.stdout)).toMatchObject({ transfer: 'direct', sha256: sha256(content), size_bytes: content.length });
        expect(readFileSync(target).equals(content)).toBe(true);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
