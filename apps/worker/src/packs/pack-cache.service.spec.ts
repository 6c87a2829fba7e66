import type { ExecutionDispatchV1 } from '@attune/contracts';
import { buildTarGz } from '@attune/testing';
import { createHash } from 'node:crypto';
import { chmod, readdir, readFile, mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkerConfig } from '../config/worker.config';
import { PackCache, PackUnavailableError } from './pack-cache.service';

const silent = { child: () => silent, info: () => undefined, warn: () => undefined, debug: () => undefined } as never;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let server: Server;
let cacheDir: string;
let archive: Buffer;
/** What the fake api serves, and the requests it saw. */
let serve: { status: number; body: Buffer };
let requests: Array<{ url?: string; auth?: string }>;
let cache: PackCache;

beforeAll(async () => {
  archive = await buildTarGz([
    { path: 'demo/', type: 'dir' },
    { path: 'demo/pack.yaml', content: 'ref: demo\nversion: "1"\n' },
    { path: 'demo/actions/run.py', content: 'print(1)\n' },
  ]);
  server = createServer((req, res) => {
    requests.push({ url: req.url, auth: req.headers.authorization });
    res.writeHead(serve.status, { 'content-type': 'application/gzip' });
    res.end(serve.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
});

beforeEach(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'attune-pack-cache-'));
  serve = { status: 200, body: archive };
  requests = [];
  const { port } = server.address() as { port: number };
  const config = { packCacheDir: cacheDir, apiUrl: `http://127.0.0.1:${port}`, packMaxExtractedBytes: 1024 * 1024, packMaxEntries: 100, packFetchTimeoutMs: 5000 } as WorkerConfig;
  cache = new PackCache(config, silent);
});

afterEach(async () => {
  await rm(cacheDir, { recursive: true, force: true });
});

const dispatch = (digest: string, id = 7) =>
  ({ execution_id: id, token: 'exec-token', action: { pack_ref: 'demo', pack_digest: digest } }) as unknown as ExecutionDispatchV1;

describe('PackCache', () => {
  it('fetches the archive with the execution token, checks it, and extracts it once per digest', async () => {
    const digest = sha256(archive);
    const [a, b] = await Promise.all([cache.directory(dispatch(digest)), cache.directory(dispatch(digest, 8))]);
    expect(a).toBe(join(cacheDir, digest));
    expect(b).toBe(a);
    expect(await readFile(join(a, 'actions/run.py'), 'utf8')).toBe('print(1)\n');
    // One fetch for both concurrent callers, made with whichever execution's token came first.
    expect(requests).toHaveLength(1);
    expect(['/api/v1/executions/7/pack', '/api/v1/executions/8/pack']).toContain(requests[0].url);
    expect(requests[0].auth).toBe('Bearer exec-token');
    await cache.directory(dispatch(digest, 9));
    expect(requests).toHaveLength(1);
    expect((await readdir(cacheDir)).filter((n) => n.startsWith('.tmp'))).toEqual([]);
  });

  it('leaves the pack readable by every user (actions run as uids of their own), the cache root unlistable', async () => {
    const digest = sha256(archive);
    const dir = await cache.directory(dispatch(digest));
    expect((await stat(cacheDir)).mode & 0o777).toBe(0o711);
    expect((await stat(dir)).mode & 0o777).toBe(0o755);
    expect((await stat(join(dir, 'actions'))).mode & 0o777).toBe(0o755);
    expect((await stat(join(dir, 'actions/run.py'))).mode & 0o044).toBe(0o044);
    // A directory an older worker left private is opened up on its next use.
    await chmod(join(dir, 'actions/run.py'), 0o600);
    await chmod(dir, 0o700);
    await cache.directory(dispatch(digest, 8));
    expect((await stat(dir)).mode & 0o777).toBe(0o755);
    expect((await stat(join(dir, 'actions/run.py'))).mode & 0o777).toBe(0o644);
    expect(requests).toHaveLength(1);
  });

  it('refuses an archive whose SHA-256 is not the registered one, keeping nothing', async () => {
    const err = await cache.directory(dispatch('0'.repeat(64))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PackUnavailableError);
    expect((err as Error).message).toContain(`is ${sha256(archive)}, not ${'0'.repeat(64)}`);
    expect(await readdir(cacheDir)).toEqual([]);
  });

  it('gives up at once when the api refuses the archive', async () => {
    serve = { status: 403, body: Buffer.from('{"error":"no","code":"FORBIDDEN"}') };
    await expect(cache.directory(dispatch(sha256(archive)))).rejects.toThrow(PackUnavailableError);
    expect(requests).toHaveLength(1);
  });
});
