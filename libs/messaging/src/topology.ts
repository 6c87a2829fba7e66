import { Exchanges, exchangeOf } from '@attune/contracts';
import type { Channel, Options } from 'amqplib';

/**
 * Names and declarations of everything this lib creates on the broker. Every declaration is made
 * from here with constant arguments: RabbitMQ closes the channel (406 PRECONDITION_FAILED) when
 * an existing exchange or queue is declared again with different ones.
 */

export const EXCHANGE_OPTIONS: Options.AssertExchange = { durable: true, autoDelete: false, internal: false };
const DLQ_OPTIONS: Options.AssertQueue = { durable: true, exclusive: false, autoDelete: false };

export function domainExchange(namespace: string, type: string): string {
  return `${namespace}.${exchangeOf(type)}`;
}

export function allDomainExchanges(namespace: string): string[] {
  return Object.values(Exchanges).map((e) => `${namespace}.${e}`);
}

export function deadLetterExchange(namespace: string): string {
  return `${namespace}.dlx`;
}

export interface QueueNames {
  /** `${namespace}.${queue}` */
  queue: string;
  /** `${queue}.dlq`, bound to the DLX with the queue name as routing key. */
  dlq: string;
  /** `${queue}.retry`: failed messages wait here (per-message TTL), then dead-letter back to `queue`. */
  retry: string;
  dlx: string;
}

export function queueNames(namespace: string, queue: string): QueueNames {
  const full = `${namespace}.${queue}`;
  return { queue: full, dlq: `${full}.dlq`, retry: `${full}.retry`, dlx: deadLetterExchange(namespace) };
}

export function mainQueueOptions(names: QueueNames): Options.AssertQueue {
  return {
    durable: true,
    exclusive: false,
    autoDelete: false,
    arguments: { 'x-dead-letter-exchange': names.dlx, 'x-dead-letter-routing-key': names.queue },
  };
}

/**
 * The retry queue has no consumer. A message published to it with an `expiration` is
 * dead-lettered, once expired, through the default exchange back to the main queue.
 */
export function retryQueueOptions(names: QueueNames): Options.AssertQueue {
  return {
    durable: true,
    exclusive: false,
    autoDelete: false,
    arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': names.queue },
  };
}

export interface QueueBinding {
  exchange: string;
  routingKey: string;
}

export async function assertDomainExchanges(channel: Channel, exchanges: Iterable<string>): Promise<void> {
  for (const exchange of new Set(exchanges)) {
    await channel.assertExchange(exchange, 'topic', EXCHANGE_OPTIONS);
  }
}

/** Declares the DLX, the DLQ and its binding, the retry queue, the queue and its bindings. */
export async function assertConsumerTopology(channel: Channel, names: QueueNames, bindings: QueueBinding[]): Promise<void> {
  await channel.assertExchange(names.dlx, 'direct', EXCHANGE_OPTIONS);
  await channel.assertQueue(names.dlq, DLQ_OPTIONS);
  await channel.bindQueue(names.dlq, names.dlx, names.queue);
  await channel.assertQueue(names.retry, retryQueueOptions(names));
  await channel.assertQueue(names.queue, mainQueueOptions(names));
  await assertDomainExchanges(channel, bindings.map((b) => b.exchange));
  for (const b of bindings) {
    await channel.bindQueue(names.queue, b.exchange, b.routingKey);
  }
}
