import { jest } from '@jest/globals';
import { DomainError } from '@attune/contracts';
import { Logger } from '@nestjs/common';
import type { IdentityEntity } from '@attune/persistence';
import { randomBytes, scryptSync } from 'node:crypto';
import type { ApiConfig } from '../config/api.config';
import { AuthService } from './auth.service';
import { PasswordHasher } from './password-hasher';

const config = { bcryptRounds: 10, allowRegistration: true, adminLogin: 'admin', adminPassword: 'AdminPass1!', production: false } as unknown as ApiConfig;
const hasher = new PasswordHasher(config);
const tokens = { issue: jest.fn(async () => ({ access_token: 'a', refresh_token: 'r', token_type: 'Bearer' as const, expires_in: 60 })) };

function identity(over: Partial<IdentityEntity>): IdentityEntity {
  return { id: 5, login: 'u', displayName: null, passwordHash: '', roles: ['viewer'], isActive: true, tokensValidAfter: null, ...over } as IdentityEntity;
}

function service(repo: Record<string, unknown>, cfg: Partial<ApiConfig> = {}) {
  return new AuthService(repo as never, tokens as never, hasher, { ...config, ...cfg } as ApiConfig);
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

  it('refuses to start in production while the administrator has the development password', async () => {
    const repo = { findByLogin: jest.fn(async () => identity({ login: 'admin', passwordHash: await hasher.hash('TestPass123!'), roles: ['admin'] })) };
    await expect(service(repo, { production: true } as Partial<ApiConfig>).onApplicationBootstrap()).rejects.toThrow('still has the development password');
    await expect(service(repo).onApplicationBootstrap()).resolves.toBeUndefined();
  });
});
