import { DomainError } from '@attune/contracts';
import { type IdentityEntity, IdentityRepository } from '@attune/persistence';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ApiConfig, DEV_ADMIN_PASSWORD } from '../config/api.config';
import type { MeDto, TokensDto } from './auth.dto';
import { hashPassword, verifyPassword } from './password-hasher';
import { TokenService } from './token.service';

// Compared against when the login is unknown, so both failures take the same time.
const DUMMY_HASH = hashPassword('attune-timing-equaliser');

@Injectable()
export class AuthService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    private readonly identities: IdentityRepository,
    private readonly tokens: TokenService,
    private readonly config: ApiConfig,
  ) {}

  /** The administrator from the configuration exists whenever the api runs. */
  async onApplicationBootstrap(): Promise<void> {
    const admin = await this.identities.ensure({
      login: this.config.adminLogin,
      displayName: this.config.adminDisplayName ?? 'Administrator',
      passwordHash: await hashPassword(this.config.adminPassword),
      roles: ['admin'],
    });
    // An administrator created during a development run keeps its password when the same
    // database moves to production; refuse to serve with the publicly known one.
    if (this.config.production && (await verifyPassword(DEV_ADMIN_PASSWORD, admin.passwordHash))) {
      throw new Error(
        `administrator "${admin.login}" still has the development password; change it before running in production`,
      );
    }
    this.logger.log(`administrator "${admin.login}" is present`);
  }

  async login(login: string, password: string): Promise<TokensDto> {
    const identity = await this.identities.findByLogin(login);
    const ok = identity ? await verifyPassword(password, identity.passwordHash) : await verifyPassword(password, await DUMMY_HASH);
    if (!identity || !ok) throw new DomainError('UNAUTHORIZED', 'invalid login or password');
    return this.issue(identity);
  }

  async refresh(refreshToken: string): Promise<TokensDto> {
    const claims = await this.tokens.verify(refreshToken);
    if (claims.typ !== 'refresh') throw new DomainError('UNAUTHORIZED', 'not a refresh token');
    const identity = await this.identities.findById(Number(claims.sub));
    if (!identity) throw new DomainError('UNAUTHORIZED', 'the identity of this token no longer exists');
    return this.issue(identity);
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
