import { jest } from '@jest/globals';
import { DomainError } from '@attune/contracts';
import { ApiKeysService, cappedRoles, hashApiKey } from './api-keys.service';

const owner = { id: 7, login: 'ops@example.com', roles: ['operator'], isActive: true };

function service(found: Record<string, unknown> | null = null, identity: Record<string, unknown> | null = owner) {
  const keys = {
    create: jest.fn(async (k: Record<string, unknown>) => ({ id: 1, login: owner.login, created: new Date(), lastUsed: null, revokedAt: null, ...k })),
    findUsable: jest.fn(async () => found),
    touch: jest.fn(async () => undefined),
  };
  const identities = { findById: jest.fn(async () => identity) };
  return { svc: new ApiKeysService(keys as never, identities as never), keys };
}

const user = { kind: 'user' as const, id: 7, login: 'ops@example.com', roles: ['operator'] };

describe('API keys', () => {
  it('are random, marked, and stored only as a hash with a short prefix', async () => {
    const { svc, keys } = service();
    const { key } = await svc.create(user, { name: 'ci' });
    expect(key).toMatch(/^atk_[A-Za-z0-9_-]{40}$/);
    const stored = keys.create.mock.calls[0][0];
    expect(stored).toMatchObject({ identityId: 7, prefix: key.slice(0, 12), keyHash: hashApiKey(key), role: null, expiresAt: null });
    expect(JSON.stringify(stored)).not.toContain(key.slice(12));
  });

  it('cannot be given more than the creator has, nor be made by a key', async () => {
    const { svc } = service();
    await expect(svc.create(user, { name: 'x', role: 'admin' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(svc.create({ ...user, apiKey: 3 }, { name: 'x' })).rejects.toBeInstanceOf(DomainError);
    await expect(svc.create(user, { name: 'x', role: 'viewer' })).resolves.toBeDefined();
  });

  it('act as their owner, capped by their role, and stop with the owner', async () => {
    const key = { id: 4, identityId: 7, role: 'viewer' };
    const { svc, keys } = service(key);
    await expect(svc.authenticate('atk_x')).resolves.toEqual({ kind: 'user', id: 7, login: owner.login, roles: ['viewer'], apiKey: 4 });
    expect(keys.touch).toHaveBeenCalledWith(4);
    await expect(service(key, { ...owner, isActive: false }).svc.authenticate('atk_x')).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(service(null).svc.authenticate('atk_x')).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('never raise the owner\'s current roles', () => {
    expect(cappedRoles(['viewer'], 'admin')).toEqual(['viewer']);
    expect(cappedRoles(['admin'], 'operator')).toEqual(['operator']);
    expect(cappedRoles(['operator'], null)).toEqual(['operator']);
  });
});
