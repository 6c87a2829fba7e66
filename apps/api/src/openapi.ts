import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { OperationObject, PathItemObject, ResponseObject } from '@nestjs/swagger';
import { REQUIRED_ROLE_EXTENSION } from './auth/auth.decorators';
import { CONDITIONS_MODELS } from './rules/rule.dto';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'] as const;
const ERROR_REF = { $ref: '#/components/schemas/ErrorDto' };

const PLATFORM_ERRORS: Record<string, string> = {
  '400': 'BAD_REQUEST: malformed JSON, a bad id or query',
  '401': 'UNAUTHORIZED: no token, or an invalid, expired or revoked one',
  '403': 'FORBIDDEN: the token lacks the role this needs (see x-required-role), or is an execution token not allowed here',
  '413': 'PAYLOAD_TOO_LARGE: the body is over the limit (ATTUNE_API_BODY_LIMIT; uploads have their own)',
  '422': 'VALIDATION_ERROR: invalid or unknown fields; details lists each as {field, message}',
};

/** What an error status means wherever a handler declared it without saying more. */
const ERROR_MEANINGS: Record<string, string> = {
  ...PLATFORM_ERRORS,
  '404': 'NOT_FOUND: no such resource (or not one this token may see)',
  '409': 'CONFLICT: the resource exists already or its state forbids this; details may say the current state',
  '416': 'Range Not Satisfiable: the Range starts past the end',
  '429': 'TOO_MANY_REQUESTS: wait for Retry-After seconds',
  '500': 'INTERNAL_ERROR: an unexpected failure, logged with the id in the message',
  '503': 'SERVICE_UNAVAILABLE: a dependency (database, broker, storage) does not answer; try again',
};

/** Summaries of the operations that shared libraries (service-kit) register without OpenAPI decorators. */
const SHARED_SUMMARIES: Record<string, string> = {
  'get /health': 'Health of the api and its dependencies (200, or 503 naming the one that fails)',
};

/** Errors are always JSON, even on routes that produce text or archives. */
function addError(op: OperationObject, status: string): void {
  const existing = op.responses[status] as ResponseObject | undefined;
  if (!existing) {
    op.responses[status] = { description: ERROR_MEANINGS[status] ?? '', content: { 'application/json': { schema: ERROR_REF } } };
    return;
  }
  if (!existing.description) existing.description = ERROR_MEANINGS[status] ?? '';
  existing.content = { ...existing.content, 'application/json': { schema: ERROR_REF } };
}

/** The error envelope under application/json for every error response a handler declared. */
function errorsAreJson(op: OperationObject): void {
  for (const [status, response] of Object.entries(op.responses)) {
    if (Number(status) >= 400 && response && 'description' in response) addError(op, status);
  }
}

/**
 * Answers that the platform gives on every route, whatever the handler's own decorators say:
 * the guard (401/403 on every secured route), the JSON body parser (400 malformed, 413 too
 * large) and the validation pipe (422). The required role of each operation is stated in its
 * description as well as in `x-required-role`.
 */
export function documentPlatformAnswers(doc: OpenAPIObject): OpenAPIObject {
  for (const [path, item] of Object.entries(doc.paths) as Array<[string, PathItemObject]>) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      op.summary ??= SHARED_SUMMARIES[`${method} ${path}`];
      errorsAreJson(op);
      const role = (op as unknown as Record<string, unknown>)[REQUIRED_ROLE_EXTENSION] as string | undefined;
      if (op.security?.length || role) {
        addError(op, '401');
        addError(op, '403');
      }
      if (role && !op.description?.includes('Role:')) {
        op.description = `${op.description ? `${op.description}\n\n` : ''}Role: **${role}** or higher.`;
      }
      if (op.requestBody) {
        for (const status of ['400', '413', '422']) addError(op, status);
      }
    }
  }
  return doc;
}

export function buildOpenApi(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Attune API')
    .setDescription(
      'Event-driven automation: packs, actions, executions. Errors are `{error, code, details?}`; ' +
        'lists are `{data, pagination}`; single objects are `{data}`. Roles: `viewer` reads, `operator` also runs and ' +
        'cancels executions and uploads artifacts, `admin` also manages packs, actions, users and retention. ' +
        'Unexpected failures answer 500 INTERNAL_ERROR with an id to quote, and nothing else.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
  return documentPlatformAnswers(SwaggerModule.createDocument(app, config, { extraModels: CONDITIONS_MODELS }));
}

/** GET /docs (Swagger UI) and GET /api-spec/openapi.json, both public. */
export function mountOpenApi(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApi(app), { jsonDocumentUrl: 'api-spec/openapi.json', yamlDocumentUrl: 'api-spec/openapi.yaml' });
}
