import { DomainError } from '@attune/contracts';
import { type ApiKey, ApiKeyRepository, IdentityRepository } from '@attune/persistence';
import { Injectable, Logger } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { type Principal, type Role, roleRank, ROLES } from '../auth/auth.decorators';
import type { CreateApiKeyDto } from './api-key.dto';

/** Every API key starts with this, so the guard tells one from a JWT without trying to parse it. */
export const API_KEY_MARK = 'atk_';
const PREFIX_LENGTH = API_KEY_MARK.length + 8;

export const hashApiKey = (key: string) => createHash('sha256').update(key).digest('hex');

type UserPrincipal = Extract<Principal, { kind: 'user' }>;

/**
 * API keys: bearer credentials for scripts and CI. A key acts as its owner, with at most its own
 * `role`; the owner's current roles and state are read at every request, so demoting or
 * deactivating the owner limits or stops their keys at once.
 */
@Injectable()
export class ApiKeysService {
  private readonly logger = new Logger(ApiKeysService.name);

  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly identities: IdentityRepository,
  ) {}

  async create(principal: Principal, dto: CreateApiKeyDto): Promise<{ key: string; record: ApiKey }> {
    const user = asUser(principal);
    // A key minting keys would outlive its own expiry and revocation through them.
    if (user.apiKey !== undefined) throw new DomainError('FORBIDDEN', 'an API key cannot create API keys; sign in as the user');
    if (dto.role && ROLES.indexOf(dto.role) + 1 > roleRank(user.roles)) {
      throw new DomainError('FORBIDDEN', `a key cannot have more rights than its creator: you do not have the ${dto.role} role`);
    }
    const key = API_KEY_MARK + randomBytes(30).toString('base64url');
    const record = await this.keys.create({
      identityId: user.id,
      name: dto.name,
      prefix: key.slice(0, PREFIX_LENGTH),
      keyHash: hashApiKey(key),
      role: dto.role ?? null,
      expiresAt: dto.expires_in ? new Date(Date.now() + dto.expires_in * 1000) : null,
    });
    this.logger.log({ api_key: record.id }, `API key "${record.name}" created for "${user.login}"`);
    return { key, record };
  }

  /** One's own keys; an administrator may ask for everyone's. */
  list(principal: Principal, all: boolean, page: number, perPage: number) {
    const user = asUser(principal);
    if (all && roleRank(user.roles) < ROLES.indexOf('admin') + 1) throw new DomainError('FORBIDDEN', 'listing every user\'s keys needs the admin role');
    return this.keys.list(all ? undefined : user.id, page, perPage);
  }

  /** Revokes one's own key (an administrator: anyone's). Someone else's key answers 404, as if absent. */
  async revoke(principal: Principal, id: number): Promise<void> {
    const user = asUser(principal);
    const key = await this.keys.findById(id);
    const admin = roleRank(user.roles) >= ROLES.indexOf('admin') + 1;
    if (!key || key.revokedAt || (key.identityId !== user.id && !admin)) throw new DomainError('NOT_FOUND', `API key ${id} not found`);
    await this.keys.revoke(id);
    this.logger.log({ api_key: id }, `API key "${key.name}" of "${key.login}" revoked by "${user.login}"`);
  }

  /** The principal a presented key stands for; UNAUTHORIZED when it is unknown, revoked or expired. */
  async authenticate(key: string): Promise<UserPrincipal> {
    const record = await this.keys.findUsable(hashApiKey(key));
    if (!record) throw new DomainError('UNAUTHORIZED', 'invalid, expired or revoked API key');
    const owner = await this.identities.findById(record.identityId);
    if (!owner || !owner.isActive) throw new DomainError('UNAUTHORIZED', 'the owner of this API key is deactivated');
    await this.keys.touch(record.id);
    return { kind: 'user', id: owner.id, login: owner.login, roles: cappedRoles(owner.roles, record.role), apiKey: record.id };
  }
}

/** The owner's roles, limited to `cap` when the key has one. */
export function cappedRoles(roles: string[], cap: string | null): string[] {
  if (!cap) return roles;
  const capRank = ROLES.indexOf(cap as Role) + 1;
  return roleRank(roles) > capRank ? [cap] : roles;
}

function asUser(principal: Principal): UserPrincipal {
  if (principal.kind !== 'user') throw new DomainError('FORBIDDEN', 'only users manage API keys');
  return principal;
}
