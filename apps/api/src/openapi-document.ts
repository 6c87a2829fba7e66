import { createRootLogger } from '@attune/service-kit';
import { NestFactory } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import { AppModule } from './app.module';
import { ApiConfig } from './config/api.config';
import { buildOpenApi } from './openapi';

/**
 * The OpenAPI document the api serves at /api-spec/openapi.json, built without a database or a
 * broker: Nest's preview mode resolves the module graph and the controllers' metadata but
 * instantiates no provider, so nothing connects. The config is the defaults (as a test api has
 * them); nothing in the document depends on a setting that differs per deployment.
 */
export async function buildOpenApiDocument(): Promise<OpenAPIObject> {
  const config = ApiConfig.fromEnv({ ATTUNE_ENV: 'test' });
  const app = await NestFactory.create(AppModule.forRoot(config, createRootLogger('api', 'silent')), { preview: true, logger: false, abortOnError: false });
  try {
    return buildOpenApi(app);
  } finally {
    await app.close();
  }
}
