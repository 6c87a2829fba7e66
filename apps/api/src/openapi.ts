import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';

export function buildOpenApi(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Attune API')
    .setDescription(
      'Event-driven automation: packs, actions, executions. Errors are `{error, code, details?}`; ' +
        'lists are `{data, pagination}`; single objects are `{data}`.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
  return SwaggerModule.createDocument(app, config);
}

/** GET /docs (Swagger UI) and GET /api-spec/openapi.json, both public. */
export function mountOpenApi(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApi(app), { jsonDocumentUrl: 'api-spec/openapi.json', yamlDocumentUrl: 'api-spec/openapi.yaml' });
}
