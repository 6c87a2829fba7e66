import { DomainError } from '@attune/contracts';
import { type EventEntity, TriggerRepository } from '@attune/persistence';
import { Injectable } from '@nestjs/common';
import { ApiConfig } from '../config/api.config';
import { EventsService } from '../events/events.service';
import { WEBHOOK_KEY_FORMAT } from '../triggers/triggers.service';

export interface WebhookRequest {
  key: string;
  /** The parsed JSON body; undefined when there was none. */
  body: unknown;
  /** Content-Length when the sender gave one. */
  contentLength?: number;
  /** False when a body was sent as something other than JSON. */
  isJson: boolean;
}

@Injectable()
export class WebhooksService {
  constructor(
    private readonly triggers: TriggerRepository,
    private readonly events: EventsService,
    private readonly config: ApiConfig,
  ) {}

  /**
   * Records the event of a webhook call. The payload is the body's `payload` field when the body
   * is an object that has one (the documented form `{payload: …}`), otherwise the whole body.
   */
  async receive(req: WebhookRequest): Promise<EventEntity> {
    // An unknown, malformed or disabled key all answer the same 404: a key cannot be probed.
    const unknown = new DomainError('NOT_FOUND', 'no webhook with this key');
    if (!WEBHOOK_KEY_FORMAT.test(req.key)) throw unknown;
    const size = req.contentLength ?? (req.body === undefined ? 0 : Buffer.byteLength(JSON.stringify(req.body)));
    if (size > this.config.webhookMaxBytes) {
      throw new DomainError('PAYLOAD_TOO_LARGE', `webhook payloads are limited to ${this.config.webhookMaxBytes} bytes`);
    }
    const trigger = await this.triggers.findByWebhookKey(req.key);
    if (!trigger || !trigger.enabled) throw unknown;
    if (!req.isJson) throw new DomainError('BAD_REQUEST', 'send the webhook body as JSON (content-type: application/json)');
    const body = req.body ?? {};
    const payload = isObject(body) && Object.prototype.hasOwnProperty.call(body, 'payload') ? body.payload : body;
    return this.events.record(trigger, payload ?? {}, 'webhook');
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
