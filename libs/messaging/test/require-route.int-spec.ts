import { dispatchRoutingKey, MessageTypes } from '@attune/contracts';
import { describe, expect, it } from '@jest/globals';
import { connect } from 'amqplib';
import { AmqpHealthIndicator, MessagePublisher, MessageUnroutableError } from '../src';
import { BROKER_URL, waitFor } from './support/broker';
import { useTestConnections } from './support/connections';

describe('publish() with requireRoute', () => {
  const connections = useTestConnections();

  it('rejects when no queue is bound for the message, and resolves once one is', async () => {
    const { ns, logs, connection, raw } = await connections.open(['worker.default.shell']);
    const queue = `${ns}.worker.default.shell`;
    const publisher = new MessagePublisher(connection, { namespace: ns, service: 'test', logger: logs.logger });
    await waitFor(() => new AmqpHealthIndicator(connection).check().then(() => true), { what: 'a healthy connection' });
    const routingKey = dispatchRoutingKey('default', 'shell');

    const err = await publisher.publish(MessageTypes.WorkerHeartbeat, { worker: 'w' }, { routingKey, requireRoute: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MessageUnroutableError);
    expect((err as Error).message).toBe(`no queue is bound for worker.heartbeat.v1 with routing key ${routingKey}; the broker dropped it`);
    // Without the option a lost message is only logged, as before.
    await publisher.publish(MessageTypes.WorkerHeartbeat, { worker: 'w' }, { routingKey, messageId: 'lost-quietly' });
    await waitFor(() => logs.lines().find((l) => l.msg?.startsWith('message unroutable') && l.message_id === 'lost-quietly'), { what: 'the log line' });

    const conn = await connect(BROKER_URL);
    const ch = await conn.createChannel();
    await ch.assertQueue(queue, { durable: false });
    await ch.bindQueue(queue, `${ns}.workers`, routingKey);
    await conn.close();
    await publisher.publish(MessageTypes.WorkerHeartbeat, { worker: 'w' }, { routingKey, requireRoute: true });
    expect(await raw.messages(queue)).toBe(1);
  });
});
