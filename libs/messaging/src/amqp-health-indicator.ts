import type { HealthIndicator } from '@attune/service-kit';
import type { AmqpConnection } from './amqp-connection';

/** Anything that can say whether it consumes: AmqpServer does. */
export interface ConsumerStatusSource {
  list(): { names: { queue: string }; isConsuming(): boolean }[];
}

/** `broker` in GET /health: the publisher connection, and the consumers of this process. */
export class AmqpHealthIndicator implements HealthIndicator {
  readonly name = 'broker';

  constructor(
    private readonly connection: AmqpConnection,
    private readonly consumers?: ConsumerStatusSource,
  ) {}

  async check(): Promise<void> {
    const problems: string[] = [];
    if (!this.connection.isConnected()) problems.push('publisher not connected');
    for (const server of this.consumers?.list() ?? []) {
      if (!server.isConsuming()) problems.push(`not consuming ${server.names.queue}`);
    }
    if (problems.length) throw new Error(problems.join(', '));
  }
}
