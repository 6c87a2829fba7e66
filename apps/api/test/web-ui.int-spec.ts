import { prepareTestDatabase, testAmqpUrl, uniqueNamespace } from '@attune/testing';
import { createRootLogger } from '@attune/service-kit';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppModule } from '../src/app.module';
import { configureApi } from '../src/app.setup';
import { ApiConfig } from '../src/config/api.config';

// The api in process, serving a stand-in web build: its files, the SPA fallback, and that no
// API, auth, operations or docs answer changes because of it.
const INDEX = '<!doctype html><title>Attune</title><div id="root"></div>';
const SCRIPT = 'console.log("attune")';

let scratch: string;
let databaseUrl: string;

async function startApi(webDir: string): Promise<{ app: INestApplication; base: string }> {
  const config = ApiConfig.fromEnv({
    ATTUNE_ENV: 'test',
    ATTUNE_DATABASE_URL: databaseUrl,
    ATTUNE_AMQP_URL: testAmqpUrl(),
    ATTUNE_AMQP_NAMESPACE: uniqueNamespace('web'),
    ATTUNE_STORAGE_FS_ROOT: join(scratch, 'blobs'),
    ATTUNE_BCRYPT_ROUNDS: '10',
    ATTUNE_WEB_DIR: webDir,
  });
  const app = await NestFactory.create(AppModule.forRoot(config, createRootLogger('api', 'silent')), { logger: false });
  configureApi(app, config);
  await app.listen(0, '127.0.0.1');
  return { app, base: await app.getUrl() };
}

/**
 * The api, for the tests of the enclosing describe, serving the web build in `<scratch>/<webDir>`;
 * `base` is its URL once it listens.
 */
function useApi(webDir: string): { base: string } {
  const api = { base: '' };
  let app: INestApplication | undefined;
  beforeAll(async () => {
    ({ app, base: api.base } = await startApi(join(scratch, webDir)));
  });
  afterAll(async () => app?.close());
  return api;
}

const html = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

/** Signs the development admin in with a JSON POST, as the web UI does. */
const signIn = (base: string) =>
  fetch(`${base}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login: 'test@attune.local', password: 'TestPass123!' }),
  });

beforeAll(async () => {
  databaseUrl = await prepareTestDatabase();
  scratch = await mkdtemp(join(tmpdir(), 'attune-web-'));
  await mkdir(join(scratch, 'web/assets'), { recursive: true });
  await writeFile(join(scratch, 'web/index.html'), INDEX);
  await writeFile(join(scratch, 'web/assets/index-abc123.js'), SCRIPT);
  await writeFile(join(scratch, 'web/favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  await writeFile(join(scratch, 'secret.txt'), 'outside the web dir');
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('with a built web UI', () => {
  const api = useApi('web');

  it('serves index.html at / without long caching', async () => {
    const res = await fetch(`${api.base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(await res.text()).toBe(INDEX);
  });

  it('serves built files, hashed assets as immutable', async () => {
    const res = await fetch(`${api.base}/assets/index-abc123.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    expect(res.headers.get('cache-control')).toMatch(/immutable/);
    expect(await res.text()).toBe(SCRIPT);
    const icon = await fetch(`${api.base}/favicon.svg`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
  });

  it('answers index.html for the pages of the UI, dotted refs included, and keeps query strings working', async () => {
    for (const page of ['/executions', '/executions/42', '/actions/core.echo', '/actions/core.echo/run', '/artifacts?type=progress']) {
      const res = await fetch(`${api.base}${page}`, { headers: html });
      expect({ page, status: res.status, body: await res.text() }).toEqual({ page, status: 200, body: INDEX });
    }
  });

  it('answers a missing asset with a 404, not the page', async () => {
    const res = await fetch(`${api.base}/assets/missing-123.js`, { headers: { accept: '*/*' } });
    expect(res.status).toBe(404);
    expect(((await res.json()) as any).code).toBe('NOT_FOUND');
  });

  it('never serves files outside its directory', async () => {
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt']) {
      const res = await fetch(`${api.base}${path}`, { headers: { accept: '*/*' } });
      expect(await res.text()).not.toContain('outside the web dir');
    }
  });

  it('leaves the API, auth, operations and docs untouched, even for browsers', async () => {
    const unknown = await fetch(`${api.base}/api/v1/nothing-here`, { headers: html });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 'NOT_FOUND' });
    const me = await fetch(`${api.base}/auth/me`, { headers: html });
    expect(me.status).toBe(401);
    expect(((await me.json()) as any).code).toBe('UNAUTHORIZED');
    const list = await fetch(`${api.base}/api/v1/executions`, { headers: html });
    expect(list.status).toBe(401);
    const health = await fetch(`${api.base}/health`, { headers: html });
    expect(health.headers.get('content-type')).toMatch(/json/);
    const metrics = await fetch(`${api.base}/metrics`, { headers: html });
    expect(await metrics.text()).not.toContain('<title>Attune</title>');
    const docs = await fetch(`${api.base}/docs`, { headers: html });
    expect(await docs.text()).toMatch(/swagger/i);
    const spec = await fetch(`${api.base}/api-spec/openapi.json`);
    expect(((await spec.json()) as any).openapi).toBeDefined();
  });

  it('leaves other methods to the API', async () => {
    const res = await fetch(`${api.base}/executions`, { method: 'POST', headers: { ...html, 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(404);
    expect(((await res.json()) as any).code).toBe('NOT_FOUND');
    const login = await signIn(api.base);
    expect(login.status).toBe(200);
  });
});

describe('without a built web UI', () => {
  const api = useApi('not-built');

  it('still starts, and / says why there is no UI', async () => {
    const res = await fetch(`${api.base}/`, { headers: html });
    expect(res.status).toBe(404);
    const body = (await res.json()) as any;
    expect(body.code).toBe('NOT_FOUND');
    expect(body.error).toMatch(/web UI is not built/);
    const login = await signIn(api.base);
    expect(login.status).toBe(200);
    const page = await fetch(`${api.base}/executions`, { headers: html });
    expect(page.status).toBe(404);
  });
});
