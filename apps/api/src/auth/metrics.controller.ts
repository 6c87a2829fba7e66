import { DomainError } from '@attune/contracts';
import { IdentityRepository } from '@attune/persistence';
import { METRICS_CONTENT_TYPE, metricsText } from '@attune/service-kit';
import { Controller, Get, Header, Headers } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { createHash, timingSafeEqual } from 'node:crypto';
import { ApiErrors } from '../common/openapi.decorators';
import { ApiConfig } from '../config/api.config';
import { Public, RequireRole, roleRank, ROLES } from './auth.decorators';
import { TokenService } from './token.service';

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/**
 * The api's /metrics. Its port is the public edge, and the metrics name routes, counts and
 * process details, so they are served only to the configured metrics token (ATTUNE_METRICS_TOKEN,
 * for a Prometheus scraper) or to an administrator's access token. @Public() lets the request past
 * the global guard, which knows nothing of the metrics token; the check below does both.
 * @RequireRole('admin') is there for the OpenAPI document and the route audit.
 */
@ApiTags('operations')
@Controller()
export class MetricsController {
  private readonly metricsToken?: Buffer;

  constructor(
    private readonly tokens: TokenService,
    private readonly identities: IdentityRepository,
    config: ApiConfig,
  ) {
    this.metricsToken = config.metricsToken ? sha256(config.metricsToken) : undefined;
    void metricsText();
  }

  @Public()
  @RequireRole('admin')
  @Get('metrics')
  @Header('Content-Type', METRICS_CONTENT_TYPE)
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Prometheus metrics of the api',
    description: 'Needs the metrics token (ATTUNE_METRICS_TOKEN) or an administrator as Bearer token.',
  })
  @ApiProduces('text/plain')
  @ApiResponse({ status: 200, description: 'Prometheus text format', schema: { type: 'string' } })
  @ApiErrors(401, 403)
  async metrics(@Headers('authorization') authorization?: string): Promise<string> {
    await this.authorize(authorization);
    return metricsText();
  }

  private async authorize(header: string | undefined): Promise<void> {
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
