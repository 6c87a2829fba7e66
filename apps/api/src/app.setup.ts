import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { apiValidationPipe } from './common/validation';
import type { ApiConfig } from './config/api.config';
import { mountOpenApi } from './openapi';

/**
 * Everything the api sets up around its module: the JSON body limit (413 above it), the
 * validation pipe (422 for unknown or invalid fields), and the OpenAPI documents. Shared by
 * main.ts and the tests that start the api in process, so both serve the same thing.
 */
export function configureApi(app: INestApplication, config: ApiConfig): void {
  const express = app as NestExpressApplication;
  express.useBodyParser('json', { limit: config.bodyLimit });
  express.disable('x-powered-by');
  app.useGlobalPipes(apiValidationPipe());
  mountOpenApi(app);
}
