import { DomainError } from '@attune/contracts';
import { type EventEntity, TriggerRepository } from '@attune/persistence';
import { Injectable } from '@nestjs/common';
import { jsonDepthCheck } from '../common/http-hardening';
import { ApiConfig } from '../config/api.config';
import { EventsService } from '../events/events.service';
import { WEBHOOK_KEY_FORMAT } from '../triggers/triggers.service';
import { WebhookRateLimiter } from './webhook-rate-limiter';

export interface WebhookRequest {
  key: string;
  /** Content-Length when the sender gave one. */
  contentLength?: number;
  /** Whether a body was sent at all (a length above 0, or chunked). */
  hasBody: boolean;
  /** False when a body was sent as something other than JSON. */
  isJson: boolean;
  /** False when the body is compressed (Content-Encoding other than identity). */
  identityEncoding: boolean;
  /** Reads the raw body, failing once it passes `limit` bytes. Called only after every cheap check. */
  readBody(limit: number): Promise<Buffer>;
}

/** Thrown by readBody when the body passes its limit. */
export class BodyTooLargeError extends Error {}

@Injectable()
export class WebhooksService {
  private readonly limiter: WebhookRateLimiter;
  private readonly depthCheck: ReturnType<typeof jsonDepthCheck>;

  constructor(
    private readonly triggers: TriggerRepository,
    private readonly events: EventsService,
    private readonly config: ApiConfig,
  ) {
    this.limiter = new WebhookRateLimiter(config.webhookRateLimitPerSecond, config.webhookRateLimitBurst);
    this.depthCheck = jsonDepthCheck(config.maxJsonDepth);
  }

  /**
   * Records the event of a webhook call. Cheap checks come first and the body is read and parsed
   * last: the key's form, the declared size, the key's rate, the key itself, the content type.
   * The payload is the body's `payload` field when the body is an object that has one (the
   * documented form `{payload: …}`), otherwise the whole body.
   */
  async receive(req: WebhookRequest): Promise<EventEntity> {
    // An unknown, malformed or disabled key all answer the same 404: a key cannot be probed.
    const unknown = new DomainError('NOT_FOUND', 'no webhook with this key');
    if (!WEBHOOK_KEY_FORMAT.test(req.key)) throw unknown;
    const limit = this.config.webhookMaxBytes;
    const tooLarge = new DomainError('PAYLOAD_TOO_LARGE', `webhook payloads are limited to ${limit} bytes`);
    if (req.contentLength !== undefined && req.contentLength > limit) throw tooLarge;
    const wait = this.limiter.take(req.key);
    if (wait > 0) {
      throw new DomainError('TOO_MANY_REQUESTS', 'too many calls of this webhook; retry later', { retry_after_seconds: wait });
    }
    const trigger = await this.triggers.findByWebhookKey(req.key);
    if (!trigger || !trigger.enabled) throw unknown;
    if (!req.isJson) throw new DomainError('BAD_REQUEST', 'send the webhook body as JSON (content-type: application/json)');
    if (!req.identityEncoding) throw new DomainError('BAD_REQUEST', 'send the webhook body uncompressed');
    const body = req.hasBody ? await this.parse(req, limit, tooLarge) : {};
    const payload = isObject(body) && Object.prototype.hasOwnProperty.call(body, 'payload') ? body.payload : body;
    return this.events.record(trigger, payload ?? {}, 'webhook');
  }

  private async parse(req: WebhookRequest, limit: number, tooLarge: DomainError): Promise<unknown> {
    let raw: Buffer;
    try {
      raw = await req.readBody(limit);
    } catch (err) {
      if (err instanceof BodyTooLargeError) throw tooLarge;
      throw err;
    }
    const text = raw.toString('utf8').trim();
    if (text === '') return {};
    try {
      // The same nesting limit as every other JSON body, checked on the bytes before parsing.
      this.depthCheck(undefined as never, undefined as never, raw);
    } catch (err) {
      throw new DomainError('BAD_REQUEST', (err as Error).message);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new DomainError('BAD_REQUEST', 'request body is not valid JSON');
    }
    // As the JSON body parser's strict mode: an object or an array.
    if (typeof body !== 'object' || body === null) throw new DomainError('BAD_REQUEST', 'request body is not valid JSON');
    return body;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
