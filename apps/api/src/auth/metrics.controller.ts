import { METRICS_CONTENT_TYPE, metricsText } from '@attune/service-kit';
import { Controller, Get, Header, Headers } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/openapi.decorators';
import { Public, RequireRole } from './auth.decorators';
import { MetricsAccess } from './metrics-access.service';

/**
 * The api's /metrics. Its port is the public edge, and the metrics name routes, counts and
 * process details, so they are served only to the configured metrics token or to an
 * administrator (MetricsAccess). @Public() lets the request past the global guard, which knows
 * nothing of the metrics token. @RequireRole('admin') is there for the OpenAPI document and the
 * route audit.
 */
@ApiTags('operations')
@Controller()
export class MetricsController {
  constructor(private readonly access: MetricsAccess) {
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
    await this.access.authorize(authorization);
    return metricsText();
  }
}
