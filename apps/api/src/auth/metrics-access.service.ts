import { DomainError } from '@attune/contracts';
import { IdentityRepository } from '@attune/persistence';
import { Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { ApiConfig } from '../config/api.config';
import { roleRank, ROLES } from './auth.decorators';
import { TokenService } from './token.service';

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/**
 * Who may read the api's /metrics: the configured metrics token (ATTUNE_METRICS_TOKEN, for a
 * Prometheus scraper) or an administrator's current access token. The global guard knows nothing
 * of the metrics token, so the route is @Public() and this check does both.
 */
@Injectable()
export class MetricsAccess {
  private readonly metricsToken?: Buffer;

  constructor(
    private readonly tokens: TokenService,
    private readonly identities: IdentityRepository,
    config: ApiConfig,
  ) {
    this.metricsToken = config.metricsToken ? sha256(config.metricsToken) : undefined;
  }

  async authorize(header: string | undefined): Promise<void> {
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match) throw new DomainError('UNAUTHORIZED', 'the metrics need a bearer token: the metrics token or an administrator\'s');
    if (this.metricsToken && timingSafeEqual(sha256(match[1]), this.metricsToken)) return;
    const claims = await this.tokens.verify(match[1]);
    if (claims.typ !== 'access') throw new DomainError('FORBIDDEN', 'the metrics are for administrators and the metrics token');
    const identity = await this.identities.findById(Number(claims.sub));
    this.tokens.assertCurrent(identity, claims);
    if (roleRank(identity.roles) < ROLES.indexOf('admin') + 1) throw new DomainError('FORBIDDEN', 'the metrics are for administrators and the metrics token');
  }
}
