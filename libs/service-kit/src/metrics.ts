import { Controller, Get, Header, Module } from '@nestjs/common';
import { collectDefaultMetrics, register } from 'prom-client';
import { Public } from './health';

let defaultsCollected = false;

@Public()
@Controller()
export class MetricsController {
  constructor() {
    if (!defaultsCollected) {
      collectDefaultMetrics({ prefix: 'attune_' });
      defaultsCollected = true;
    }
  }

  @Get('metrics')
  @Header('Content-Type', register.contentType)
  metrics(): Promise<string> {
    return register.metrics();
  }
}

/** GET /metrics in Prometheus text format, on every service. */
@Module({ controllers: [MetricsController] })
export class MetricsModule {}
