import { jest } from '@jest/globals';
import { DomainError } from '@attune/contracts';
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ApiConfig } from '../config/api.config';
import { AllowExecutionToken, RequireRole } from './auth.decorators';
import { AuthGuard } from './auth.guard';
import { TokenService } from './token.service';

class Routes {
  @RequireRole('viewer') read() {}
  @RequireRole('operator') run() {}
  @RequireRole('admin') manage() {}
  @RequireRole('viewer') @AllowExecutionToken() own() {}
}

const jwt = { verifyAsync: jest.fn(async (token: string) => JSON.parse(token)) };
const tokens = new TokenService(jwt as never, {} as ApiConfig, {} as never);

function context(handler: keyof Routes, token: object | undefined) {
  const req = { headers: token ? { authorization: `Bearer ${JSON.stringify(token)}` } : {} } as Record<string, unknown>;
  const ctx = { getHandler: () => Routes.prototype[handler], getClass: () => Routes, switchToHttp: () => ({ getRequest: () => req }) } as unknown as ExecutionContext;
  return { ctx, req };
}

function guard(identity: Record<string, unknown> | null, executionStatus: string | null = 'running') {
  return new AuthGuard(new Reflector(), tokens, { findById: jest.fn(async () => identity) } as never, {
    findStatus: jest.fn(async () => executionStatus),
  } as never, {} as never);
}

const user = { id: 3, login: 'u', roles: ['operator'], isActive: true, tokensValidAfter: null };
const exp = Math.floor(Date.now() / 1000) + 3600;
const access = { typ: 'access', sub: '3', login: 'u', roles: ['admin'], iat: 1_000, iat_ms: 1_000_000, exp };

async function refusal(p: Promise<unknown>): Promise<DomainError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(DomainError);
  return err as DomainError;
}

describe('AuthGuard', () => {
  it('grants a route to roles at or above its own, using the roles stored now, not those in the token', async () => {
    const g = guard(user);
    await expect(g.canActivate(context('read', access).ctx)).resolves.toBe(true);
    await expect(g.canActivate(context('run', access).ctx)).resolves.toBe(true);
    const err = await refusal(g.canActivate(context('manage', access).ctx));
    expect(err).toMatchObject({ code: 'FORBIDDEN', message: 'this needs the admin role' });
  });

  it('answers 401 for a missing token, a deactivated or deleted user, and a revoked token', async () => {
    expect((await refusal(guard(user).canActivate(context('read', undefined).ctx))).code).toBe('UNAUTHORIZED');
    expect((await refusal(guard({ ...user, isActive: false }).canActivate(context('read', access).ctx))).message).toBe('this account is deactivated');
    expect((await refusal(guard(null).canActivate(context('read', access).ctx))).code).toBe('UNAUTHORIZED');
    const revoked = guard({ ...user, tokensValidAfter: new Date(1_000_001) });
    expect((await refusal(revoked.canActivate(context('read', access).ctx))).message).toBe('token revoked; sign in again');
    await expect(guard({ ...user, tokensValidAfter: new Date(1_000_000) }).canActivate(context('read', access).ctx)).resolves.toBe(true);
  });

  it('lets execution tokens in only where allowed, and never refresh tokens', async () => {
    const exec = { typ: 'execution', sub: 'execution:9', execution_id: 9, exp };
    const { ctx, req } = context('own', exec);
    await expect(guard(null).canActivate(ctx)).resolves.toBe(true);
    expect(req.principal).toEqual({ kind: 'execution', executionId: 9 });
    expect((await refusal(guard(null).canActivate(context('read', exec).ctx))).code).toBe('FORBIDDEN');
    expect((await refusal(guard(user).canActivate(context('read', { typ: 'refresh', sub: '3', exp }).ctx))).code).toBe('UNAUTHORIZED');
  });

  it('refuses an execution token once its execution is terminal, and remembers that without asking again', async () => {
    const exec = { typ: 'execution', sub: 'execution:9', execution_id: 9, exp };
    for (const status of ['completed', 'failed', 'cancelled', 'timeout', 'abandoned']) {
      const err = await refusal(guard(null, status).canActivate(context('own', exec).ctx));
      expect(err).toMatchObject({ code: 'UNAUTHORIZED', message: 'execution token revoked: its execution has finished' });
    }
    for (const status of ['scheduled', 'running', 'canceling']) await expect(guard(null, status).canActivate(context('own', exec).ctx)).resolves.toBe(true);
    const findStatus = jest.fn(async () => 'completed');
    const g = new AuthGuard(new Reflector(), tokens, {} as never, { findStatus } as never, {} as never);
    await refusal(g.canActivate(context('own', exec).ctx));
    await refusal(g.canActivate(context('own', exec).ctx));
    expect(findStatus).toHaveBeenCalledTimes(1);
    expect((await refusal(guard(null, null).canActivate(context('own', exec).ctx))).code).toBe('UNAUTHORIZED');
  });

  it('refuses a token without an expiry (exp)', async () => {
    const { exp: _exp, ...forever } = access;
    const err = await refusal(guard(user).canActivate(context('read', forever).ctx));
    expect(err).toMatchObject({ code: 'UNAUTHORIZED', message: 'invalid token: it has no expiry (exp)' });
  });
});
