import { DomainError } from '@attune/contracts';
import { type IdentityEntity, type IdentityPatch, IdentityRepository } from '@attune/persistence';
import { Injectable, Logger } from '@nestjs/common';
import { revocationInstant } from '../auth/auth.service';
import { PasswordHasher } from '../auth/password-hasher';
import type { CreateUserDto, UpdateUserDto } from './user.dto';
import { found } from '../common/found';

const LAST_ADMIN = 'this would leave no active administrator';

/** What administrators do to accounts. The last active administrator cannot be removed. */
@Injectable()
export class UsersService {
  private readonly logger = new Logger(UsersService.name);

  constructor(
    private readonly identities: IdentityRepository,
    private readonly hasher: PasswordHasher,
  ) {}

  list(page: number, perPage: number) {
    return this.identities.list(page, perPage);
  }

  async get(id: number): Promise<IdentityEntity> {
    return found(await this.identities.findById(id), `user ${id}`);
  }

  async create(dto: CreateUserDto): Promise<IdentityEntity> {
    const created = await this.identities.create({
      login: dto.login,
      displayName: dto.display_name ?? null,
      passwordHash: await this.hasher.hash(dto.password),
      roles: dto.roles ?? ['viewer'],
    });
    if (!created) throw new DomainError('CONFLICT', `login "${dto.login}" is already taken`);
    this.logger.log(`user "${created.login}" created with roles ${created.roles.join(',') || '(none)'}`);
    return created;
  }

  async update(id: number, dto: UpdateUserDto): Promise<IdentityEntity> {
    const patch: IdentityPatch = {};
    if (dto.display_name !== undefined) patch.displayName = dto.display_name;
    if (dto.roles !== undefined) patch.roles = dto.roles;
    if (dto.is_active !== undefined) patch.isActive = dto.is_active;
    if (dto.password !== undefined) {
      patch.passwordHash = await this.hasher.hash(dto.password);
      patch.tokensValidAfter = revocationInstant();
    }
    const updated = await this.identities.update(id, patch);
    if (updated === 'last_admin') throw new DomainError('CONFLICT', LAST_ADMIN);
    if (!updated) throw new DomainError('NOT_FOUND', `user ${id} not found`);
    this.logger.log({ changed: Object.keys(patch).filter((k) => k !== 'passwordHash') }, `user "${updated.login}" updated`);
    return updated;
  }

  async delete(id: number): Promise<void> {
    const deleted = await this.identities.delete(id);
    if (deleted === 'last_admin') throw new DomainError('CONFLICT', LAST_ADMIN);
    if (!deleted) throw new DomainError('NOT_FOUND', `user ${id} not found`);
  }
}
