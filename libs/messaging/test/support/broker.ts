import { connect, type ChannelModel, type GetMessage, type Options } from 'amqplib';
import pino, { type Logger } from 'pino';
import { testAmqpUrl } from '@attune/testing';

export { uniqueNamespace, waitFor } from '@attune/testing';

/** The broker of the integration tests (see docs/toolchain.md: RabbitMQ on loopback, guest/guest). */
export const BROKER_URL = testAmqpUrl();

/** A plain amqplib connection, independent of the lib under test, to look at queues and clean up. */
export class RawBroker {
  private constructor(private readonly conn: ChannelModel) {}

  static async open(url = BROKER_URL): Promise<RawBroker> {
    return new RawBroker(await connect(url));
  }

  /** A fresh channel per operation: a 404 closes the channel it happens on. */
  private async withChannel<T>(fn: (ch: Awaited<ReturnType<ChannelModel['createConfirmChannel']>>) => Promise<T>): Promise<T> {
    const ch = await this.conn.createConfirmChannel();
    ch.on('error', () => undefined);
    try {
      return await fn(ch);
    } finally {
      await ch.close().catch(() => undefined);
    }
  }

  /** Ready messages and consumers of a queue. */
  stats(queue: string): Promise<{ messages: number; consumers: number }> {
    return this.withChannel(async (ch) => {
      const q = await ch.checkQueue(queue);
      return { messages: q.messageCount, consumers: q.consumerCount };
    });
  }

  async messages(queue: string): Promise<number> {
    return (await this.stats(queue)).messages;
  }

  /** Takes one message off a queue (acked), or false when it is empty. */
  get(queue: string): Promise<GetMessage | false> {
    return this.withChannel((ch) => ch.get(queue, { noAck: true }));
  }

  /** All messages of a queue, taken off it. */
  async drain(queue: string): Promise<GetMessage[]> {
    const out: GetMessage[] = [];
    for (let m = await this.get(queue); m; m = await this.get(queue)) out.push(m);
    return out;
  }

  publish(exchange: string, routingKey: string, content: Buffer, options: Options.Publish = {}): Promise<void> {
    return this.withChannel(async (ch) => {
      ch.publish(exchange, routingKey, content, options);
      await ch.waitForConfirms();
    });
  }

  assertQueue(queue: string, options: Options.AssertQueue): Promise<unknown> {
    return this.withChannel((ch) => ch.assertQueue(queue, options));
  }

  /** Deletes what the lib declared for a namespace: the queues (with DLQ and retry queue) and the exchanges. */
  async deleteNamespace(namespace: string, queues: string[]): Promise<void> {
    await this.withChannel(async (ch) => {
      for (const q of queues) {
        for (const suffix of ['', '.dlq', '.retry']) await ch.deleteQueue(`${namespace}.${q}${suffix}`);
      }
      for (const ex of ['executions', 'events', 'artifacts', 'workers', 'dlx']) await ch.deleteExchange(`${namespace}.${ex}`);
    });
  }

  close(): Promise<void> {
    return this.conn.close().catch(() => undefined);
  }
}

export interface CapturedLogs {
  logger: Logger;
  lines(): Array<Record<string, unknown> & { msg?: string }>;
  text(): string;
}

/** A pino logger that keeps its JSON lines in memory, to assert on what is (not) logged. */
export function captureLogs(): CapturedLogs {
  const chunks: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void chunks.push(s) });
  return {
    logger,
    lines: () => chunks.map((c) => JSON.parse(c) as Record<string, unknown>),
    text: () => chunks.join(''),
  };
}
