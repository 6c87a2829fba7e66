import type { AccessTokenClaims, RefreshTokenClaims, TokenClaims } from '@attune/contracts';
import { DomainError } from '@attune/contracts';
import { type IdentityEntity, RefreshTokenRepository } from '@attune/persistence';
import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { randomUUID } from 'node:crypto';
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
    private readonly refreshTokens: RefreshTokenRepository,
  ) {}

  /**
   * An access token and a refresh token. The refresh token is recorded so it can be spent once
   * and revoked; `family` carries over from the token it replaces (a new sign-in starts one).
   */
  async issue(identity: IdentityEntity, family: string = randomUUID()): Promise<IssuedTokens> {
    const now = Date.now();
    const jti = randomUUID();
    const access: AccessTokenClaims = { typ: 'access', sub: String(identity.id), login: identity.login, roles: identity.roles, iat_ms: now };
    const refresh: RefreshTokenClaims = { typ: 'refresh', sub: String(identity.id), iat_ms: now, jti, fam: family };
    await this.refreshTokens.record(jti, identity.id, family, new Date(now + this.config.refreshTokenTtlSeconds * 1000));
    const [accessToken, refreshToken] = await Promise.all([
      this.jwt.signAsync(access, { expiresIn: this.config.accessTokenTtlSeconds }),
      this.jwt.signAsync(refresh, { expiresIn: this.config.refreshTokenTtlSeconds }),
    ]);
    return { access_token: accessToken, refresh_token: refreshToken, token_type: 'Bearer', expires_in: this.config.accessTokenTtlSeconds };
  }

  /**
   * Verifies signature and expiry; throws UNAUTHORIZED with a reason a client can act on. Every
   * token must carry `exp`: one without it would be good forever.
   */
  async verify(token: string): Promise<VerifiedClaims> {
    let claims: VerifiedClaims;
    try {
      claims = await this.jwt.verifyAsync<VerifiedClaims>(token, { algorithms: ['HS256'] });
    } catch (err) {
      const expired = (err as Error).name === 'TokenExpiredError';
      throw new DomainError('UNAUTHORIZED', expired ? 'token expired' : 'invalid token');
    }
    if (!claims || !['access', 'refresh', 'execution', 'execution-log'].includes(claims.typ)) throw new DomainError('UNAUTHORIZED', 'invalid token');
    if (typeof claims.exp !== 'number') throw new DomainError('UNAUTHORIZED', 'invalid token: it has no expiry (exp)');
    return claims;
  }

  /**
   * Spends a verified refresh token: it works once. Presenting a spent one again revokes every
   * token of its sign-in (a stolen copy and the real one can no longer both be used).
   */
  async spendRefresh(claims: VerifiedClaims): Promise<{ identityId: number; family: string }> {
    if (claims.typ !== 'refresh') throw new DomainError('UNAUTHORIZED', 'not a refresh token');
    if (!claims.jti) throw new DomainError('UNAUTHORIZED', 'this refresh token is from an older version; sign in again');
    const spent = await this.refreshTokens.spend(claims.jti);
    if (spent === 'reused') throw new DomainError('UNAUTHORIZED', 'refresh token already used; every token of this sign-in is revoked, sign in again');
    if (spent === 'unknown' || String(spent.identityId) !== claims.sub) throw new DomainError('UNAUTHORIZED', 'refresh token revoked; sign in again');
    return spent;
  }

  /** Revokes a refresh token and all tokens of its sign-in (logout). */
  async revokeRefresh(claims: VerifiedClaims): Promise<void> {
    if (claims.typ !== 'refresh' || !claims.jti) throw new DomainError('UNAUTHORIZED', 'not a refresh token');
    await this.refreshTokens.revokeFamilyOf(claims.jti);
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
