import type { ConsumeMessage } from 'amqplib';
import type { Logger } from 'pino';
import { AmqpConnection } from './amqp-connection';
import { parseEnvelope, validatePayload } from './envelope';
import { errorSummary, fallbackLogger } from './logger';
import { domainExchange, EXCHANGE_OPTIONS } from './topology';

export interface BroadcastSubscriberOptions {
  url: string;
  namespace: string;
  service: string;
  /** Message types to receive, each bound by its name as routing key. */
  types: string[];
  logger?: Logger;
}

/**
 * Receives notifications meant for every instance of a service (e.g. "cancel execution 42" for
 * all workers), unlike AmqpServer's shared work queue where instances compete. Each instance
 * gets its own exclusive, auto-deleted, server-named queue, so nothing is left behind when it
 * goes. Delivery is best effort (no ack, nothing kept while the instance is down): use it only
 * for messages whose sender repeats them when they matter.
 */
export class BroadcastSubscriber {
  private readonly connection: AmqpConnection;
  private readonly logger: Logger;
  /**
   * When the current subscription began receiving (epoch ms), or undefined while it is not.
   * Anything broadcast before then was not heard by this instance.
   */
  listeningSince?: number;

  constructor(
    private readonly options: BroadcastSubscriberOptions,
    private readonly handler: (type: string, payload: object) => Promise<void> | void,
  ) {
    this.logger = (options.logger ?? fallbackLogger(options.service)).child({ component: 'broadcast-subscriber' });
    this.connection = AmqpConnection.create({ url: options.url, service: options.service, role: 'broadcast', logger: options.logger });
    this.connection.createChannel('broadcast', async (channel) => {
      this.listeningSince = undefined;
      channel.once('close', () => (this.listeningSince = undefined));
      const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
      for (const type of options.types) {
        const exchange = domainExchange(options.namespace, type);
        await channel.assertExchange(exchange, 'topic', EXCHANGE_OPTIONS);
        await channel.bindQueue(queue, exchange, type);
      }
      await channel.consume(queue, (msg) => void this.receive(msg), { noAck: true });
      this.listeningSince = Date.now();
      this.logger.info({ types: options.types }, 'listening for broadcasts');
    });
  }

  isConnected(): boolean {
    return this.connection.isConnected();
  }

  close(): Promise<void> {
    return this.connection.close();
  }

  private async receive(msg: ConsumeMessage | null): Promise<void> {
    if (!msg) return;
    const parsed = parseEnvelope(msg.content);
    if (!parsed.ok) {
      this.logger.warn({ reason: parsed.reason, ...parsed.ids }, 'broadcast dropped: invalid envelope');
      return;
    }
    const { type, message_id } = parsed.envelope;
    if (!this.options.types.includes(type)) return;
    const payload = await validatePayload(type, parsed.envelope.payload);
    if (!payload.ok) {
      this.logger.warn({ type, message_id, problems: payload.problems }, 'broadcast dropped: invalid payload');
      return;
    }
    try {
      await this.handler(type, payload.value);
    } catch (err) {
      this.logger.error({ type, message_id, error: errorSummary(err) }, 'broadcast handler failed');
    }
  }
}
