import { DomainError } from '@attune/contracts';
import { type IdentityEntity, IdentityRepository } from '@attune/persistence';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ApiConfig, DEV_ADMIN_PASSWORD } from '../config/api.config';
import type { MeDto, RegisterDto, TokensDto } from './auth.dto';
import { PasswordHasher } from './password-hasher';
import { TokenService } from './token.service';

/** Self-registered accounts start read-only; an administrator grants more. */
export const REGISTERED_ROLES = ['viewer'];

/** Tokens issued before this instant (their `iat_ms`) are refused from now on. */
export function revocationInstant(now = Date.now()): Date {
  return new Date(now);
}

@Injectable()
export class AuthService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AuthService.name);
  // Compared against when the login is unknown, so both failures take the same time.
  private dummyHash?: Promise<string>;

  constructor(
    private readonly identities: IdentityRepository,
    private readonly tokens: TokenService,
    private readonly hasher: PasswordHasher,
    private readonly config: ApiConfig,
  ) {}

  /** The administrator from the configuration exists whenever the api runs. */
  async onApplicationBootstrap(): Promise<void> {
    let admin = await this.identities.findByLogin(this.config.adminLogin);
    admin ??= await this.identities.ensure({
      login: this.config.adminLogin,
      displayName: this.config.adminDisplayName ?? 'Administrator',
      passwordHash: await this.hasher.hash(this.config.adminPassword),
      roles: ['admin'],
    });
    // An administrator created during a development run keeps its password when the same
    // database moves to production; refuse to serve with the publicly known one. It can be
    // changed with POST /auth/password or PUT /api/v1/users/{id} before switching.
    if (this.config.production && (await this.hasher.verify(DEV_ADMIN_PASSWORD, admin.passwordHash))) {
      throw new Error(
        `administrator "${admin.login}" still has the development password; change it (POST /auth/password) before running in production`,
      );
    }
    this.logger.log(`administrator "${admin.login}" is present`);
  }

  async login(login: string, password: string): Promise<TokensDto> {
    const identity = await this.identities.findByLogin(login);
    this.dummyHash ??= this.hasher.hash('attune-timing-equaliser');
    const ok = await this.hasher.verify(password, identity ? identity.passwordHash : await this.dummyHash);
    if (!identity || !ok) throw new DomainError('UNAUTHORIZED', 'invalid login or password');
    if (!identity.isActive) throw new DomainError('UNAUTHORIZED', 'this account is deactivated');
    if (this.hasher.needsRehash(identity.passwordHash) && Buffer.byteLength(password) <= 72) {
      await this.identities.updatePassword(identity.id, await this.hasher.hash(password));
      this.logger.log(`password hash of "${identity.login}" upgraded to bcrypt`);
    }
    return this.issue(identity);
  }

  async register(dto: RegisterDto): Promise<TokensDto> {
    if (!this.config.allowRegistration) throw new DomainError('FORBIDDEN', 'self-registration is disabled (ATTUNE_ALLOW_REGISTRATION)');
    const created = await this.identities.create({
      login: dto.login,
      displayName: dto.display_name ?? null,
      passwordHash: await this.hasher.hash(dto.password),
      roles: REGISTERED_ROLES,
    });
    if (!created) throw new DomainError('CONFLICT', `login "${dto.login}" is already taken`);
    this.logger.log(`"${created.login}" registered`);
    return this.issue(created);
  }

  async refresh(refreshToken: string): Promise<TokensDto> {
    const claims = await this.tokens.verify(refreshToken);
    if (claims.typ !== 'refresh') throw new DomainError('UNAUTHORIZED', 'not a refresh token');
    const identity = await this.identities.findById(Number(claims.sub));
    this.tokens.assertCurrent(identity, claims);
    return this.issue(identity);
  }

  /** Changes one's own password; every token issued before stops working, and new ones are answered. */
  async changePassword(id: number, current: string, next: string): Promise<TokensDto> {
    const identity = await this.identities.findById(id);
    if (!identity || !identity.isActive) throw new DomainError('UNAUTHORIZED', 'the identity of this token no longer exists');
    if (!(await this.hasher.verify(current, identity.passwordHash))) {
      throw new DomainError('VALIDATION_ERROR', 'the current password is wrong', [{ field: 'current_password', message: 'is wrong' }]);
    }
    const updated = await this.identities.update(id, {
      passwordHash: await this.hasher.hash(next),
      tokensValidAfter: revocationInstant(),
    });
    if (!updated || updated === 'last_admin') throw new DomainError('UNAUTHORIZED', 'the identity of this token no longer exists');
    return this.issue(updated);
  }

  async me(id: number): Promise<MeDto> {
    const identity = await this.identities.findById(id);
    if (!identity) throw new DomainError('UNAUTHORIZED', 'the identity of this token no longer exists');
    return { id: identity.id, login: identity.login, display_name: identity.displayName, roles: identity.roles };
  }

  private async issue(identity: IdentityEntity): Promise<TokensDto> {
    const tokens = await this.tokens.issue(identity);
    return { ...tokens, user: { id: identity.id, login: identity.login, display_name: identity.displayName } };
  }
}
