import { dispatchRoutingKey, MessageTypes } from '@attune/contracts';
import { afterEach, describe, expect, it } from '@jest/globals';
import { connect } from 'amqplib';
import { AmqpConnection, AmqpHealthIndicator, MessagePublisher, MessageUnroutableError } from '../src';
import { BROKER_URL, RawBroker, captureLogs, uniqueNamespace, waitFor } from './support/broker';

describe('publish() with requireRoute', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const fn of cleanup.reverse()) await fn();
    cleanup.length = 0;
  });

  it('rejects when no queue is bound for the message, and resolves once one is', async () => {
    const ns = uniqueNamespace();
    const logs = captureLogs();
    const connection = AmqpConnection.create({ url: BROKER_URL, service: 'test', logger: logs.logger });
    const raw = await RawBroker.open();
    const queue = `${ns}.worker.default.shell`;
    cleanup.push(async () => {
      await connection.close();
      await raw.deleteNamespace(ns, ['worker.default.shell']);
      await raw.close();
    });
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
