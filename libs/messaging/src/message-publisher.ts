import type { OnApplicationShutdown } from '@nestjs/common';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, Message } from 'amqplib';
import type { Logger } from 'pino';
import type { AmqpConnection } from './amqp-connection';
import { buildEnvelope } from './envelope';
import { errorSummary, fallbackLogger } from './logger';
import { DEFAULT_PUBLISH_TIMEOUT_MS, type MessagingOptions } from './messaging.options';
import { allDomainExchanges, assertDomainExchanges, domainExchange } from './topology';

export interface PublishOptions {
  /** Default: the message type. Worker dispatches use `dispatchRoutingKey(pool)`. */
  routingKey?: string;
  /** Default: the new message's own id (it starts a new chain). Pass the causing message's. */
  correlationId?: string;
  /** Default: a new UUID. A stable id lets consumers recognise a re-published duplicate. */
  messageId?: string;
}

/** Publishes enveloped messages to the domain exchanges, with publisher confirms. */
export class MessagePublisher implements OnApplicationShutdown {
  private readonly channel: ChannelWrapper;
  private readonly namespace: string;
  private readonly timeoutMs: number;
  private readonly logger: Logger;

  constructor(connection: AmqpConnection, options: Pick<MessagingOptions, 'namespace' | 'service' | 'publishTimeoutMs' | 'logger'>) {
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
      const message = (err as Error)?.message === 'timeout' ? `not confirmed by the broker within ${this.timeoutMs} ms` : (err as Error)?.message;
      this.logger.warn({ ...ids, error: errorSummary(err) }, 'publish failed');
      throw new Error(`publish of ${type} (message_id ${envelope.message_id}) failed: ${message}`, { cause: err });
    }
    this.logger.debug(ids, 'published');
  }

  /**
   * A message no queue is bound for is confirmed all the same and then dropped. That is a
   * deployment mistake (consumer never started, so its queue was never declared), so it is
   * logged loudly rather than silently lost.
   */
  private onReturned(msg: Message): void {
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

  close(): Promise<void> {
    return this.channel.close();
  }

  onApplicationShutdown(): Promise<void> {
    return this.close();
  }
}
