import { prepareTestDatabase, testAmqpUrl, uniqueNamespace, workspaceRoot } from '@attune/testing';
import { createRootLogger } from '@attune/service-kit';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { PATH_METADATA, METHOD_METADATA } from '@nestjs/common/constants.js';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppModule } from '../src/app.module';
import { configureApi } from '../src/app.setup';
import { IS_PUBLIC, LOG_WRITER_ONLY, REQUIRED_ROLE } from '../src/auth/auth.decorators';
import { ApiConfig } from '../src/config/api.config';

// The api in process, on its real module and setup, against the test database and broker.
let app: INestApplication;
let base: string;
let blobs: string;
let spec: any;

const DOCUMENTATION = /^\/(docs|api-spec)(\/|$)/;

beforeAll(async () => {
  const databaseUrl = await prepareTestDatabase();
  blobs = await mkdtemp(join(tmpdir(), 'attune-openapi-'));
  const config = ApiConfig.fromEnv({
    ATTUNE_ENV: 'test',
    ATTUNE_DATABASE_URL: databaseUrl,
    ATTUNE_AMQP_URL: testAmqpUrl(),
    ATTUNE_AMQP_NAMESPACE: uniqueNamespace('oas'),
    ATTUNE_STORAGE_FS_ROOT: blobs,
    ATTUNE_BCRYPT_ROUNDS: '10',
  });
  app = await NestFactory.create(AppModule.forRoot(config, createRootLogger('api', 'silent')), { logger: false });
  configureApi(app, config);
  await app.listen(0, '127.0.0.1');
  base = await app.getUrl();
  const res = await fetch(`${base}/api-spec/openapi.json`);
  expect(res.status).toBe(200);
  spec = await res.json();
});

afterAll(async () => {
  await app?.close();
  await rm(blobs, { recursive: true, force: true });
});

/** Every route the HTTP server really has, from Express's router. */
function registeredRoutes(): Array<{ method: string; path: string }> {
  const express = app.getHttpAdapter().getInstance();
  const stack: any[] = express.router?.stack ?? express._router?.stack ?? [];
  return stack
    // Middleware mounted for every path (request logging) shows up as a `*` route; it is no endpoint.
    .filter((layer) => layer.route && !String(layer.route.path).includes('*'))
    .flatMap((layer) => Object.keys(layer.route.methods).filter((m) => m !== '_all').map((method) => ({ method, path: layer.route.path as string })));
}

/** Express `:param` paths as OpenAPI writes them. */
const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

describe('the served OpenAPI document', () => {
  it('covers every route the app registers', () => {
    const routes = registeredRoutes().filter((r) => !DOCUMENTATION.test(r.path));
    expect(routes.length).toBeGreaterThan(30);
    const missing = routes.filter((r) => !spec.paths[toOpenApiPath(r.path)]?.[r.method]).map((r) => `${r.method.toUpperCase()} ${r.path}`);
    expect(missing).toEqual([]);
  });

  it('documents no route the app does not have', () => {
    const have = new Set(registeredRoutes().map((r) => `${r.method} ${toOpenApiPath(r.path)}`));
    const extra = Object.entries(spec.paths).flatMap(([path, item]: [string, any]) =>
      Object.keys(item)
        .filter((m) => ['get', 'put', 'post', 'delete', 'patch'].includes(m))
        .filter((m) => !have.has(`${m} ${path}`))
        .map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(extra).toEqual([]);
  });

  it('gives every operation a success answer, and every secured one its role and the 401/403 errors', () => {
    const problems: string[] = [];
    for (const [path, item] of Object.entries<any>(spec.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        const name = `${method.toUpperCase()} ${path}`;
        const statuses = Object.keys(op.responses ?? {});
        if (!statuses.some((s) => /^2\d\d$/.test(s))) problems.push(`${name}: no success response`);
        if (!op.security?.length) continue;
        if (!op['x-required-role']) problems.push(`${name}: no x-required-role`);
        for (const s of ['401', '403']) {
          if (op.responses[s]?.content?.['application/json']?.schema?.$ref !== '#/components/schemas/ErrorDto') problems.push(`${name}: ${s} not documented`);
        }
        if (op.requestBody && !op.responses['422']) problems.push(`${name}: 422 not documented`);
      }
    }
    expect(problems).toEqual([]);
    expect(spec.components.schemas.ErrorDto.properties).toEqual(expect.objectContaining({ error: expect.anything(), code: expect.anything() }));
  });

  it('gives every operation a summary and every error answer a description (the build fails otherwise)', () => {
    const problems: string[] = [];
    for (const [path, item] of Object.entries<any>(spec.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        const name = `${method.toUpperCase()} ${path}`;
        if (!op.summary?.trim()) problems.push(`${name}: no summary`);
        for (const [status, res] of Object.entries<any>(op.responses ?? {})) {
          if (Number(status) >= 400 && !res.description?.trim()) problems.push(`${name}: ${status} has no description`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('shows example requests and answers for execute, artifacts and rules', () => {
    for (const path of ['/api/v1/executions/execute', '/api/v1/artifacts', '/api/v1/rules']) {
      const op = spec.paths[path].post;
      const examples = op.requestBody?.content?.['application/json']?.examples ?? {};
      expect({ path, examples: Object.keys(examples).length > 0 }).toEqual({ path, examples: true });
      for (const ex of Object.values<any>(examples)) expect(ex.value).toEqual(expect.any(Object));
      expect(op.responses['201'].content['application/json'].schema.example?.data).toEqual(expect.objectContaining({ id: expect.any(Number) }));
    }
    const execute = spec.paths['/api/v1/executions/execute'].post.requestBody.content['application/json'].examples;
    expect(Object.values<any>(execute).map((e) => e.value.action_ref)).toContain('core.echo');
  });

  it('types ErrorDto.details as a list of {field, message} or an object, as the api answers', () => {
    const details = spec.components.schemas.ErrorDto.properties.details;
    expect(details.oneOf).toEqual([
      { type: 'array', items: { $ref: '#/components/schemas/ErrorDetailDto' } },
      { type: 'object', additionalProperties: true },
    ]);
    expect(spec.components.schemas.ErrorDetailDto.required).toEqual(['field', 'message']);
  });

  it('is the document libs/api-client was generated from (else: npm run openapi:client)', async () => {
    const committed = JSON.parse(await readFile(join(workspaceRoot(), 'libs/api-client/src/openapi.json'), 'utf8'));
    expect(spec).toEqual(committed);
  });

  it('renders Swagger UI at /docs', async () => {
    const res = await fetch(`${base}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await res.text()).toContain('swagger-ui');
  });
});

describe('roles on routes', () => {
  it('marks every controller route either public or with the least role it needs', () => {
    const problems: string[] = [];
    const container = (app as any).container;
    for (const module of container.getModules().values()) {
      for (const wrapper of module.controllers.values()) {
        const cls = wrapper.metatype;
        if (!cls || !Reflect.hasMetadata(PATH_METADATA, cls)) continue;
        for (const name of Object.getOwnPropertyNames(cls.prototype)) {
          const handler = cls.prototype[name];
          if (name === 'constructor' || typeof handler !== 'function' || Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
          const publicRoute = Reflect.getMetadata(IS_PUBLIC, handler) ?? Reflect.getMetadata(IS_PUBLIC, cls);
          const role = Reflect.getMetadata(REQUIRED_ROLE, handler) ?? Reflect.getMetadata(REQUIRED_ROLE, cls);
          // Routes only the platform's own credentials reach (a worker storing logs).
          const platformOnly = Reflect.getMetadata(LOG_WRITER_ONLY, handler) === true;
          if (!publicRoute && !role && !platformOnly) problems.push(`${cls.name}.${name}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
