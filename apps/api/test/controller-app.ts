import { expect } from '@jest/globals';
import { ExecutionRepository, IdentityRepository } from '@attune/persistence';
import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { ApiKeysService } from '../src/api-keys/api-keys.service';
import { AuthGuard } from '../src/auth/auth.guard';
import { TokenService } from '../src/auth/token.service';
import { ApiExceptionFilter } from '../src/common/api-exception.filter';
import { apiValidationPipe } from '../src/common/validation';
import type { ApiConfig } from '../src/config/api.config';

/**
 * The controller test tier (as immich's server has): one or more controllers in a Nest app with
 * their services mocked, and the api's real HTTP edge around them: the AuthGuard (roles,
 * execution and log tokens), the validation pipe (422) and the exception filter ({error, code}).
 * No Postgres, no RabbitMQ: tokens are JSON claims, and the users behind them are fixed below.
 */
export async function controllerApp(metadata: Pick<ModuleMetadata, 'controllers' | 'providers'>): Promise<INestApplication> {
  const jwt = { verifyAsync: async (token: string) => JSON.parse(Buffer.from(token, 'base64url').toString()) };
  const moduleRef = await Test.createTestingModule({
    controllers: metadata.controllers,
    providers: [
      ...(metadata.providers ?? []),
      { provide: TokenService, useValue: new TokenService(jwt as never, {} as ApiConfig, {} as never) },
      { provide: IdentityRepository, useValue: { findById: async (id: number) => USERS[id] ?? null } },
      // Every execution a test names is running (a terminal one's token is refused by AuthGuard).
      { provide: ExecutionRepository, useValue: { findStatus: async () => 'running' } },
      { provide: ApiKeysService, useValue: {} },
      { provide: APP_GUARD, useClass: AuthGuard },
      { provide: APP_FILTER, useClass: ApiExceptionFilter },
    ],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  app.useGlobalPipes(apiValidationPipe());
  await app.init();
  return app;
}

const USERS: Record<number, { id: number; login: string; roles: string[]; isActive: boolean; tokensValidAfter: null }> = {
  1: { id: 1, login: 'viewer', roles: ['viewer'], isActive: true, tokensValidAfter: null },
  2: { id: 2, login: 'operator', roles: ['operator'], isActive: true, tokensValidAfter: null },
  3: { id: 3, login: 'admin', roles: ['admin'], isActive: true, tokensValidAfter: null },
};

function bearer(claims: object): string {
  const exp = Math.floor(Date.now() / 1000) + 3600;
  return `Bearer ${Buffer.from(JSON.stringify({ ...claims, exp })).toString('base64url')}`;
}

function user(id: number): string {
  return bearer({ typ: 'access', sub: String(id), login: USERS[id].login, roles: USERS[id].roles, iat_ms: Date.now() });
}

/** Authorization headers for each kind of caller. */
export const as = {
  viewer: () => user(1),
  operator: () => user(2),
  admin: () => user(3),
  /** A running action's execution token. */
  execution: (executionId: number) => bearer({ typ: 'execution', execution_id: executionId }),
  /** A worker's log token for one attempt of an execution. */
  logWriter: (executionId: number, attempt = 1) => bearer({ typ: 'execution-log', execution_id: executionId, attempt }),
};

/** A whole blob answer (sendBlob): 200, the text, and its type, length, ETag and checksum headers. */
export function expectWholeBlob(res: { status: number; text: string; headers: Record<string, string> }, body: Buffer, contentType: string, sha256: string): void {
  expect(res.status).toBe(200);
  expect(res.text).toBe(body.toString());
  expect(res.headers).toMatchObject({
    'content-type': contentType,
    'content-length': String(body.length),
    etag: `"${sha256}"`,
    'x-checksum-sha256': sha256,
  });
}
