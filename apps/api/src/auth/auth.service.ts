import { DomainError } from '@attune/contracts';
import { type IdentityEntity, IdentityRepository } from '@attune/persistence';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ApiConfig, DEV_ADMIN_LOGIN, DEV_ADMIN_PASSWORD } from '../config/api.config';
import type { MeDto, RegisterDto, TokensDto } from './auth.dto';
import { LoginThrottle } from './login-throttle';
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
    private readonly throttle: LoginThrottle,
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
    // database moves to production; refuse to serve while any administrator has the publicly
    // known one. It can be changed with POST /auth/password or PUT /api/v1/users/{id} before switching.
    if (this.config.production) {
      for (const a of await this.identities.listActiveAdmins()) {
        if (await this.hasher.verify(DEV_ADMIN_PASSWORD, a.passwordHash)) {
          throw new Error(
            `administrator "${a.login}" still has the development password (that of ${DEV_ADMIN_LOGIN}); ` +
              'change it (POST /auth/password, or run once with ATTUNE_ENV=development) before running in production',
          );
        }
      }
    }
    this.logger.log(`administrator "${admin.login}" is present`);
  }

  /**
   * `address` is the client's: failures are throttled per login and per address, and a throttled
   * attempt is refused before any lookup or hashing.
   */
  async login(login: string, password: string, address = 'unknown'): Promise<TokensDto> {
    const attempt = this.throttle.beginLogin(login, address);
    const identity = await this.identities.findByLogin(login);
    this.dummyHash ??= this.hasher.hash('attune-timing-equaliser');
    const ok = await this.hasher.verify(password, identity ? identity.passwordHash : await this.dummyHash);
    if (!identity || !ok) throw new DomainError('UNAUTHORIZED', 'invalid login or password');
    if (!identity.isActive) throw new DomainError('UNAUTHORIZED', 'this account is deactivated');
    if (this.hasher.needsRehash(identity.passwordHash) && Buffer.byteLength(password) <= 72) {
      await this.identities.updatePassword(identity.id, await this.hasher.hash(password));
      this.logger.log(`password hash of "${identity.login}" upgraded to bcrypt`);
    }
    this.throttle.succeeded(attempt);
    return this.issue(identity);
  }

  async register(dto: RegisterDto, address = 'unknown'): Promise<TokensDto> {
    if (!this.config.allowRegistration) throw new DomainError('FORBIDDEN', 'self-registration is disabled (ATTUNE_ALLOW_REGISTRATION)');
    this.throttle.beginRegistration(address);
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

  /** Exchanges a refresh token, which is spent by it, for new tokens of the same sign-in. */
  async refresh(refreshToken: string): Promise<TokensDto> {
    const claims = await this.tokens.verify(refreshToken);
    if (claims.typ !== 'refresh') throw new DomainError('UNAUTHORIZED', 'not a refresh token');
    const identity = await this.identities.findById(Number(claims.sub));
    this.tokens.assertCurrent(identity, claims);
    const { family } = await this.tokens.spendRefresh(claims);
    return this.issue(identity, family);
  }

  /** Revokes the refresh token and every other token of its sign-in. */
  async logout(refreshToken: string): Promise<void> {
    const claims = await this.tokens.verify(refreshToken);
    await this.tokens.revokeRefresh(claims);
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

  private async issue(identity: IdentityEntity, family?: string): Promise<TokensDto> {
    const tokens = await this.tokens.issue(identity, family);
    return { ...tokens, user: { id: identity.id, login: identity.login, display_name: identity.displayName } };
  }
}
