import type { AccessTokenClaims, RefreshTokenClaims, TokenClaims } from '@attune/contracts';
import { DomainError } from '@attune/contracts';
import type { IdentityEntity } from '@attune/persistence';
import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { ApiConfig } from '../config/api.config';

export interface IssuedTokens {
  access_token: string;
  refresh_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

/** Claims as verified: the standard ones the signer adds included. */
export type VerifiedClaims = TokenClaims & { iat?: number; exp?: number };

@Injectable()
export class TokenService {
  constructor(
    private readonly jwt: JwtService,
    private readonly config: ApiConfig,
  ) {}

  async issue(identity: IdentityEntity): Promise<IssuedTokens> {
    const now = Date.now();
    const access: AccessTokenClaims = { typ: 'access', sub: String(identity.id), login: identity.login, roles: identity.roles, iat_ms: now };
    const refresh: RefreshTokenClaims = { typ: 'refresh', sub: String(identity.id), iat_ms: now };
    const [accessToken, refreshToken] = await Promise.all([
      this.jwt.signAsync(access, { expiresIn: this.config.accessTokenTtlSeconds }),
      this.jwt.signAsync(refresh, { expiresIn: this.config.refreshTokenTtlSeconds }),
    ]);
    return { access_token: accessToken, refresh_token: refreshToken, token_type: 'Bearer', expires_in: this.config.accessTokenTtlSeconds };
  }

  /** Verifies signature and expiry; throws UNAUTHORIZED with a reason a client can act on. */
  async verify(token: string): Promise<VerifiedClaims> {
    try {
      const claims = await this.jwt.verifyAsync<VerifiedClaims>(token, { algorithms: ['HS256'] });
      if (!claims || !['access', 'refresh', 'execution', 'execution-log'].includes(claims.typ)) throw new Error('unknown token type');
      return claims;
    } catch (err) {
      const expired = (err as Error).name === 'TokenExpiredError';
      throw new DomainError('UNAUTHORIZED', expired ? 'token expired' : 'invalid token');
    }
  }

  /**
   * A user token is good only while its identity exists, is active, and has not revoked its
   * tokens since this one was issued (a password change does that).
   */
  assertCurrent(identity: IdentityEntity | null, claims: VerifiedClaims): asserts identity is IdentityEntity {
    if (!identity) throw new DomainError('UNAUTHORIZED', 'the identity of this token no longer exists');
    if (!identity.isActive) throw new DomainError('UNAUTHORIZED', 'this account is deactivated');
    const revokedBefore = identity.tokensValidAfter ? new Date(identity.tokensValidAfter).getTime() : undefined;
    const issued = ('iat_ms' in claims ? claims.iat_ms : undefined) ?? (claims.iat ?? 0) * 1000;
    if (revokedBefore !== undefined && issued < revokedBefore) {
      throw new DomainError('UNAUTHORIZED', 'token revoked; sign in again');
    }
  }
}
