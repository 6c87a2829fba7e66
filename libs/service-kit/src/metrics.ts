import { Controller, Get, Header, Module } from '@nestjs/common';
import { collectDefaultMetrics, register } from 'prom-client';
import { Public } from './health';

let defaultsCollected = false;

/** The Prometheus content type of metricsText(). */
export const METRICS_CONTENT_TYPE = register.contentType;

/** This process's metrics in Prometheus text format (the default process metrics included). */
export function metricsText(): Promise<string> {
  if (!defaultsCollected) {
    collectDefaultMetrics({ prefix: 'attune_' });
    defaultsCollected = true;
  }
  return register.metrics();
}

/**
 * Open to anyone who reaches the port: for services whose port is internal (executor, worker,
 * artifact-store). The api, whose port is public, serves its own guarded /metrics instead.
 */
@Public()
@Controller()
export class MetricsController {
  constructor() {
    void metricsText();
  }

  @Get('metrics')
  @Header('Content-Type', register.contentType)
  metrics(): Promise<string> {
    return metricsText();
  }
}

/** GET /metrics in Prometheus text format, on every service. */
@Module({ controllers: [MetricsController] })
export class MetricsModule {}
