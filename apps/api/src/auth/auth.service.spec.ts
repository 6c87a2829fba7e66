import { jest } from '@jest/globals';
import { DomainError } from '@attune/contracts';
import { Logger } from '@nestjs/common';
import type { IdentityEntity } from '@attune/persistence';
import { randomBytes, scryptSync } from 'node:crypto';
import type { ApiConfig } from '../config/api.config';
import { AuthService } from './auth.service';
import { LoginThrottle } from './login-throttle';
import { PasswordHasher } from './password-hasher';

const config = {
  bcryptRounds: 10,
  allowRegistration: true,
  adminLogin: 'admin',
  adminPassword: 'AdminPass1!',
  production: false,
  loginMaxFailuresPerLogin: 3,
  loginMaxFailuresPerAddress: 5,
  registerMaxPerAddress: 2,
  loginThrottleWindowSeconds: 60,
} as unknown as ApiConfig;
const hasher = new PasswordHasher(config);
const tokens = { issue: jest.fn(async () => ({ access_token: 'a', refresh_token: 'r', token_type: 'Bearer' as const, expires_in: 60 })) };

function identity(over: Partial<IdentityEntity>): IdentityEntity {
  return { id: 5, login: 'u', displayName: null, passwordHash: '', roles: ['viewer'], isActive: true, tokensValidAfter: null, ...over } as IdentityEntity;
}

function service(repo: Record<string, unknown>, cfg: Partial<ApiConfig> = {}) {
  const merged = { ...config, ...cfg } as ApiConfig;
  return new AuthService(repo as never, tokens as never, hasher, merged, new LoginThrottle(merged));
}

async function failure(p: Promise<unknown>): Promise<DomainError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(DomainError);
  return err as DomainError;
}

beforeAll(() => Logger.overrideLogger(false));

describe('AuthService', () => {
  it('refuses registration when it is disabled, and a taken login', async () => {
    expect((await failure(service({}, { allowRegistration: false }).register({ login: 'new', password: 'long enough' }))).code).toBe('FORBIDDEN');
    const taken = service({ create: jest.fn(async () => null) });
    expect((await failure(taken.register({ login: 'new', password: 'long enough' }))).code).toBe('CONFLICT');
  });

  it('registers viewers, with a bcrypt hash', async () => {
    const create = jest.fn(async (input: Record<string, unknown>) => identity({ login: input.login as string, roles: input.roles as string[] }));
    const out = await service({ create }).register({ login: 'new', password: 'long enough', display_name: 'New' });
    expect(create.mock.calls[0][0]).toMatchObject({ login: 'new', displayName: 'New', roles: ['viewer'], passwordHash: expect.stringMatching(/^\$2b\$10\$/) });
    expect(out.user.login).toBe('new');
  });

  it('signs in a user with an earlier scrypt hash and replaces it with bcrypt', async () => {
    const salt = randomBytes(16);
    const legacy = ['scrypt', 16384, 8, 1, salt.toString('base64'), scryptSync('old secret!', salt, 64).toString('base64')].join('$');
    const updatePassword = jest.fn(async () => undefined);
    const repo = { findByLogin: jest.fn(async () => identity({ passwordHash: legacy })), updatePassword };
    await service(repo).login('u', 'old secret!');
    expect(updatePassword).toHaveBeenCalledWith(5, expect.stringMatching(/^\$2b\$10\$/));
    expect((await failure(service(repo).login('u', 'wrong one!'))).code).toBe('UNAUTHORIZED');
  });

  it('refuses a deactivated account even with the right password', async () => {
    const repo = { findByLogin: jest.fn(async () => identity({ passwordHash: await hasher.hash('right pass'), isActive: false })) };
    const err = await failure(service(repo).login('u', 'right pass'));
    expect(err).toMatchObject({ code: 'UNAUTHORIZED', message: 'this account is deactivated' });
  });

  it('refuses to start in production while any administrator has the development password', async () => {
    const configured = identity({ id: 1, login: 'admin', passwordHash: await hasher.hash('a better secret'), roles: ['admin'] });
    const leftover = identity({ id: 2, login: 'test@attune.local', passwordHash: await hasher.hash('TestPass123!'), roles: ['admin'] });
    const repo = { findByLogin: jest.fn(async () => configured), listActiveAdmins: jest.fn(async () => [configured, leftover]) };
    await expect(service(repo, { production: true } as Partial<ApiConfig>).onApplicationBootstrap()).rejects.toThrow(
      'administrator "test@attune.local" still has the development password',
    );
    await expect(service(repo).onApplicationBootstrap()).resolves.toBeUndefined();
    const clean = { ...repo, listActiveAdmins: jest.fn(async () => [configured]) };
    await expect(service(clean, { production: true } as Partial<ApiConfig>).onApplicationBootstrap()).resolves.toBeUndefined();
  });

  it('throttles failed sign-ins per login before hashing, and a success clears them', async () => {
    const stored = await hasher.hash('right pass');
    const findByLogin = jest.fn(async () => identity({ passwordHash: stored }));
    const s = service({ findByLogin });
    for (let i = 0; i < 3; i++) expect((await failure(s.login('U', 'wrong pass', `10.0.0.${i}`))).code).toBe('UNAUTHORIZED');
    findByLogin.mockClear();
    const err = await failure(s.login('u', 'right pass', '10.0.0.9'));
    expect(err).toMatchObject({ code: 'TOO_MANY_REQUESTS', retryAfterSeconds: expect.any(Number) });
    expect(findByLogin).not.toHaveBeenCalled();
    const fresh = service({ findByLogin });
    await fresh.login('u', 'right pass', '10.0.0.1');
    await failure(fresh.login('u', 'wrong pass', '10.0.0.1'));
    await failure(fresh.login('u', 'wrong pass', '10.0.0.1'));
    await fresh.login('u', 'right pass', '10.0.0.1'); // two failures, then a success: cleared
    for (let i = 0; i < 2; i++) await failure(fresh.login('u', 'wrong pass', '10.0.0.1'));
    expect((await failure(fresh.login('u', 'wrong pass', '10.0.0.1'))).code).toBe('UNAUTHORIZED');
  });

  it('throttles per client address across logins, counting concurrent attempts from their start', async () => {
    const findByLogin = jest.fn(async () => null);
    const s = service({ findByLogin });
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => s.login(`user${i}`, 'wrong pass', '192.0.2.1').catch((e: DomainError) => e.code)));
    expect(answers.filter((c) => c === 'UNAUTHORIZED')).toHaveLength(5);
    expect(answers.filter((c) => c === 'TOO_MANY_REQUESTS')).toHaveLength(3);
    expect(findByLogin).toHaveBeenCalledTimes(5);
    // Another address is not affected.
    expect((await failure(s.login('user0', 'wrong pass', '192.0.2.2'))).code).toBe('UNAUTHORIZED');
  });

  it('limits registrations per client address', async () => {
    const create = jest.fn(async (input: Record<string, unknown>) => identity({ login: input.login as string }));
    const s = service({ create });
    await s.register({ login: 'one', password: 'long enough' }, '198.51.100.7');
    await s.register({ login: 'two', password: 'long enough' }, '198.51.100.7');
    expect((await failure(s.register({ login: 'three', password: 'long enough' }, '198.51.100.7'))).code).toBe('TOO_MANY_REQUESTS');
    expect(create).toHaveBeenCalledTimes(2);
    await s.register({ login: 'four', password: 'long enough' }, '198.51.100.8');
  });
});
