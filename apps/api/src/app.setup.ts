import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { apiValidationPipe } from './common/validation';
import type { ApiConfig } from './config/api.config';
import { mountOpenApi } from './openapi';
import { jsonDepthCheck, securityHeaders, trustProxyValue } from './common/http-hardening';

/**
 * Everything the api sets up around its module: the JSON body limit (413 above it), the
 * validation pipe (422 for unknown or invalid fields), and the OpenAPI documents. Shared by
 * main.ts and the tests that start the api in process, so both serve the same thing.
 */
export function configureApi(app: INestApplication, config: ApiConfig): void {
  const express = app as NestExpressApplication;
  express.use(securityHeaders);
  if (config.trustProxy) express.set('trust proxy', trustProxyValue(config.trustProxy));
  // The nesting depth is checked on the raw bytes before parsing: a deeply nested body would
  // otherwise overflow the stack of the recursive validation and give a 500. (Nest types `verify`
  // as reserved: it sets its own only for `rawBody: true`, which the api does not use.)
  express.useBodyParser('json', { limit: config.bodyLimit, verify: jsonDepthCheck(config.maxJsonDepth) } as { limit: string });
  express.disable('x-powered-by');
  app.useGlobalPipes(apiValidationPipe());
  mountOpenApi(app);
}
