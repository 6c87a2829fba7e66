import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { IncomingMessage } from 'node:http';
import { apiValidationPipe } from './common/validation';
import type { ApiConfig } from './config/api.config';
import { mountOpenApi } from './openapi';
import { jsonDepthCheck, securityHeaders, trustProxyValue } from './common/http-hardening';
import { WEBHOOK_PATH_PREFIX } from './webhooks/webhooks.controller';

const JSON_TYPE = /^application\/json\s*(;|$)/i;
const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(;|$)/i;

/** Webhook bodies are read by their route after the key, rate and size checks, never before (L4). */
function parsedHere(req: IncomingMessage, type: RegExp): boolean {
  return !(req.url ?? '').startsWith(WEBHOOK_PATH_PREFIX) && type.test(String(req.headers['content-type'] ?? ''));
}

/**
 * Everything the api sets up around its module: the JSON body limit (413 above it; webhooks
 * excepted, they are read by their route), the
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
  express.useBodyParser('json', {
    limit: config.bodyLimit,
    verify: jsonDepthCheck(config.maxJsonDepth),
    type: (req: IncomingMessage) => parsedHere(req, JSON_TYPE),
  } as { limit: string });
  express.useBodyParser('urlencoded', { extended: false, type: (req: IncomingMessage) => parsedHere(req, FORM_TYPE) });
  express.disable('x-powered-by');
  app.useGlobalPipes(apiValidationPipe());
  mountOpenApi(app);
}
