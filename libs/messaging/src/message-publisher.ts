import type { OnApplicationShutdown } from '@nestjs/common';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, ConsumeMessage, Message } from 'amqplib';
import type { Logger } from 'pino';
import type { AmqpConnection } from './amqp-connection';
import { buildEnvelope } from './envelope';
import { errorSummary, fallbackLogger } from './logger';
import { DEFAULT_PUBLISH_TIMEOUT_MS, type MessagingOptions } from './messaging.options';
import {
  DEFAULT_REQUEST_TIMEOUT_MS,
  DIRECT_REPLY_TO,
  interpretReply,
  RequestTimeoutError,
  RequestUnroutableError,
} from './request-reply';
import { allDomainExchanges, assertDomainExchanges, domainExchange } from './topology';

export interface PublishOptions {
  /** Default: the message type. Worker dispatches use `dispatchRoutingKey(pool)`. */
  routingKey?: string;
  /** Default: the new message's own id (it starts a new chain). Pass the causing message's. */
  correlationId?: string;
  /** Default: a new UUID. A stable id lets consumers recognise a re-published duplicate. */
  messageId?: string;
  /**
   * Reject with MessageUnroutableError when no queue is bound for the message (the broker
   * returns it), instead of only logging the loss. For messages that must reach a consumer.
   */
  requireRoute?: boolean;
}

/** publish() with `requireRoute`: the broker confirmed the message but no queue took it. */
export class MessageUnroutableError extends Error {
  constructor(
    readonly type: string,
    readonly routingKey: string,
  ) {
    super(`no queue is bound for ${type} with routing key ${routingKey}; the broker dropped it`);
    this.name = 'MessageUnroutableError';
  }
}

export interface RequestOptions {
  /** Reject with RequestTimeoutError when no reply came within this time. Default 10 s. */
  timeoutMs?: number;
  /** The chain this request belongs to (the envelope's correlation_id), as for publish(). */
  correlationId?: string;
  /** Default: a new UUID. The reply is matched to the request by this id. */
  messageId?: string;
}

interface PendingRequest {
  type: string;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/** Publishes enveloped messages to the domain exchanges, with publisher confirms. */
export class MessagePublisher implements OnApplicationShutdown {
  private readonly channel: ChannelWrapper;
  private readonly connection: AmqpConnection;
  /** Created on the first request(): only services that ask for replies consume the reply pseudo-queue. */
  private rpcChannel?: ChannelWrapper;
  private readonly pending = new Map<string, PendingRequest>();
  /** Message ids published with requireRoute, and whether the broker returned each. */
  private readonly routeWatch = new Map<string, boolean>();
  private readonly namespace: string;
  private readonly timeoutMs: number;
  private readonly logger: Logger;

  constructor(connection: AmqpConnection, options: Pick<MessagingOptions, 'namespace' | 'service' | 'publishTimeoutMs' | 'logger'>) {
    this.connection = connection;
    this.namespace = options.namespace;
    this.timeoutMs = options.publishTimeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS;
    this.logger = (options.logger ?? fallbackLogger(options.service)).child({ component: 'publisher' });
    const exchanges = allDomainExchanges(this.namespace);
    this.channel = connection.createChannel('publisher', async (channel: ConfirmChannel) => {
      channel.on('return', (msg: Message) => this.onReturned(msg));
      await assertDomainExchanges(channel, exchanges);
    });
  }

  /**
   * Resolves once the broker has confirmed the message (it is then on disk in every queue it was
   * routed to). While the broker is unreachable the message waits in memory; publish() rejects
   * when it is not confirmed within publishTimeoutMs, and then it may or may not have been
   * delivered: a caller that retries should pass the same messageId.
   */
  async publish<T extends object>(type: string, payload: T, opts: PublishOptions = {}): Promise<void> {
    const exchange = domainExchange(this.namespace, type);
    const envelope = buildEnvelope(type, payload, opts);
    const routingKey = opts.routingKey ?? type;
    const ids = { message_id: envelope.message_id, type, correlation_id: envelope.correlation_id, routing_key: routingKey };
    if (opts.requireRoute) this.routeWatch.set(envelope.message_id, false);
    try {
      await this.channel.publish(exchange, routingKey, Buffer.from(JSON.stringify(envelope)), {
        persistent: true,
        mandatory: true,
        contentType: 'application/json',
        messageId: envelope.message_id,
        correlationId: envelope.correlation_id,
        type,
        timestamp: Math.floor(Date.parse(envelope.timestamp) / 1000),
        timeout: this.timeoutMs,
      });
    } catch (err) {
      this.routeWatch.delete(envelope.message_id);
      const message = (err as Error)?.message === 'timeout' ? `not confirmed by the broker within ${this.timeoutMs} ms` : (err as Error)?.message;
      this.logger.warn({ ...ids, error: errorSummary(err) }, 'publish failed');
      throw new Error(`publish of ${type} (message_id ${envelope.message_id}) failed: ${message}`, { cause: err });
    }
    // The broker sends basic.return before the confirm, on the same channel, so by now a
    // returned message has been seen.
    if (opts.requireRoute) {
      const returned = this.routeWatch.get(envelope.message_id);
      this.routeWatch.delete(envelope.message_id);
      if (returned) throw new MessageUnroutableError(type, routingKey);
    }
    this.logger.debug(ids, 'published');
  }

  /**
   * Request/reply over the bus: publishes `payload` as `type` (persistent, confirmed, on the
   * type's domain exchange like publish()) with `replyTo` set to RabbitMQ's direct reply-to, and
   * resolves with what the consumer's handler returned. It rejects with
   * - a DomainError carrying the handler's code, message and details when the handler threw one
   *   (so an HTTP edge can answer 404/409/… as if the work had been done locally);
   * - RemoteHandlerError (code INTERNAL_ERROR, an error id, no details) for any other failure;
   * - RequestUnroutableError at once when no queue is bound for the type;
   * - RequestTimeoutError after timeoutMs. The request carries that as its expiration, so a
   *   request still queued then is dropped (dead-lettered) rather than handled for nobody; one a
   *   consumer already took may still complete. A reply lost with a broken connection also ends
   *   as a timeout.
   * Replies are matched by the request's message id (the reply's AMQP correlation id).
   */
  async request<TReply = unknown>(type: string, payload: object, opts: RequestOptions = {}): Promise<TReply> {
    const exchange = domainExchange(this.namespace, type);
    const timeoutMs = Math.max(1, opts.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
    const envelope = buildEnvelope(type, payload, opts);
    const messageId = envelope.message_id;
    const channel = this.replyChannel();
    const reply = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(messageId);
        reject(new RequestTimeoutError(type, timeoutMs, messageId));
      }, timeoutMs);
      this.pending.set(messageId, { type, resolve, reject, timer });
    });
    // Whoever loses the race against the reply must not end as an unhandled rejection.
    reply.catch(() => undefined);
    try {
      await channel.publish(exchange, type, Buffer.from(JSON.stringify(envelope)), {
        persistent: true,
        mandatory: true,
        contentType: 'application/json',
        messageId,
        correlationId: envelope.correlation_id,
        replyTo: DIRECT_REPLY_TO,
        expiration: String(timeoutMs),
        type,
        timestamp: Math.floor(Date.parse(envelope.timestamp) / 1000),
        timeout: Math.min(timeoutMs, this.timeoutMs),
      });
    } catch (err) {
      this.settle(messageId, (p) => p.reject(new Error(`request ${type} (message_id ${messageId}) could not be published: ${(err as Error)?.message}`, { cause: err })));
    }
    this.logger.debug({ message_id: messageId, type, correlation_id: envelope.correlation_id }, 'request sent');
    return (await reply) as TReply;
  }

  private replyChannel(): ChannelWrapper {
    this.rpcChannel ??= this.connection.createChannel('publisher.rpc', async (channel: ConfirmChannel) => {
      channel.on('return', (msg: Message) => this.onRequestReturned(msg));
      await assertDomainExchanges(channel, allDomainExchanges(this.namespace));
      // Direct reply-to: consumed in no-ack mode on the very channel the requests go out on.
      await channel.consume(DIRECT_REPLY_TO, (msg) => this.onReply(msg), { noAck: true });
    });
    return this.rpcChannel;
  }

  private onReply(msg: ConsumeMessage | null): void {
    if (!msg) return;
    const id = msg.properties.correlationId as string | undefined;
    const waiting = id ? this.pending.get(id) : undefined;
    if (!id || !waiting) {
      // Its request timed out already; the work was done all the same.
      this.logger.warn({ message_id: id }, 'reply to a request nobody waits for any more; dropped');
      return;
    }
    const outcome = interpretReply(waiting.type, msg.content);
    this.settle(id, (p) => (outcome.ok ? p.resolve(outcome.value) : p.reject(outcome.error)));
  }

  private onRequestReturned(msg: Message): void {
    const id = msg.properties.messageId as string | undefined;
    if (!id) return;
    this.logger.error({ message_id: id, type: msg.properties.type, routing_key: msg.fields.routingKey }, 'request unroutable: no queue is bound for it');
    this.settle(id, (p) => p.reject(new RequestUnroutableError(p.type, id)));
  }

  private settle(id: string, fn: (p: PendingRequest) => void): void {
    const waiting = this.pending.get(id);
    if (!waiting) return;
    this.pending.delete(id);
    clearTimeout(waiting.timer);
    fn(waiting);
  }

  /**
   * A message no queue is bound for is confirmed all the same and then dropped. That is a
   * deployment mistake (consumer never started, so its queue was never declared), so it is
   * logged loudly rather than silently lost.
   */
  private onReturned(msg: Message): void {
    const id = msg.properties.messageId as string | undefined;
    if (id && this.routeWatch.has(id)) {
      this.routeWatch.set(id, true);
      return;
    }
    this.logger.error(
      {
        message_id: msg.properties.messageId,
        type: msg.properties.type,
        correlation_id: msg.properties.correlationId,
        exchange: msg.fields.exchange,
        routing_key: msg.fields.routingKey,
      },
      'message unroutable: no queue is bound for it, the broker dropped it',
    );
  }

  async close(): Promise<void> {
    for (const [id] of this.pending) this.settle(id, (p) => p.reject(new Error(`publisher closed before ${p.type} was answered`)));
    await this.rpcChannel?.close();
    await this.channel.close();
  }

  onApplicationShutdown(): Promise<void> {
    return this.close();
  }
}
