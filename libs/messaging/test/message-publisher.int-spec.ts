import { MessageTypes } from '@attune/contracts';
import { describe, expect, it } from '@jest/globals';
import { AmqpConnection, AmqpHealthIndicator, AmqpServer, MessagePublisher } from '../src';
import { BROKER_URL, captureLogs, uniqueNamespace, waitFor } from './support/broker';
import { useTestConnections } from './support/connections';

/** Nothing listens on port 1 of the loopback: connecting is refused at once, again and again. */
const UNREACHABLE_URL = 'amqp://guest:guest@127.0.0.1:1';

describe('MessagePublisher and health against RabbitMQ', () => {
  const connections = useTestConnections();

  it('rejects publish() after publishTimeoutMs when the broker is unreachable, instead of hanging', async () => {
    const logs = captureLogs();
    const connection = AmqpConnection.create({ url: UNREACHABLE_URL, service: 'test', logger: logs.logger });
    connections.onCleanup(() => connection.close());
    const publisher = new MessagePublisher(connection, { namespace: uniqueNamespace(), service: 'test', publishTimeoutMs: 300, logger: logs.logger });
    const health = new AmqpHealthIndicator(connection);

    const t0 = Date.now();
    await expect(publisher.publish(MessageTypes.ExecutionRequested, { execution_id: 1 }, { messageId: 'lost-1' })).rejects.toThrow(
      /publish of execution\.requested\.v1 \(message_id lost-1\) failed: not confirmed by the broker within 300 ms/,
    );
    expect(Date.now() - t0).toBeLessThan(3000);
    await expect(health.check()).rejects.toThrow(/publisher not connected/);
    expect(logs.lines().find((l) => l.msg === 'publish failed')).toMatchObject({ message_id: 'lost-1', type: 'execution.requested.v1' });
    // the password never reaches the logs
    expect(logs.text()).toContain('cannot connect to the broker');
    expect(logs.text()).not.toContain('guest:guest');
  });

  it('rejects a type of no known domain or without version', async () => {
    const { ns, connection } = await connections.open();
    const publisher = new MessagePublisher(connection, { namespace: ns, service: 'test' });
    await expect(publisher.publish('billing.charged.v1', {})).rejects.toThrow(/no known exchange/);
    await expect(publisher.publish('execution.requested', {})).rejects.toThrow(/version suffix/);
  });

  it('reports healthy once connected and the publisher channel is set up', async () => {
    const { ns, connection, raw } = await connections.open();
    new MessagePublisher(connection, { namespace: ns, service: 'test' });
    const health = new AmqpHealthIndicator(connection);
    await waitFor(() => health.check().then(() => true), { what: 'a healthy broker connection' });
    // the publisher's setup declared the four domain exchanges
    await raw.publish(`${ns}.executions`, 'x', Buffer.from('{}'));
    await raw.publish(`${ns}.workers`, 'x', Buffer.from('{}'));
    await connection.close();
    await expect(health.check()).rejects.toThrow(/publisher not connected/);
  });

  it('re-creates its channel when the broker closes it (publish to a deleted exchange) and publishes again', async () => {
    const { ns, logs, connection, raw } = await connections.open();
    const publisher = new MessagePublisher(connection, { namespace: ns, service: 'test', publishTimeoutMs: 10_000, logger: logs.logger });
    const health = new AmqpHealthIndicator(connection);
    await waitFor(() => health.check().then(() => true), { what: 'a healthy connection' });
    await raw.deleteNamespace(ns, []);

    // 404 NOT_FOUND closes the channel, not the connection: this publish fails...
    await expect(publisher.publish(MessageTypes.WorkerHeartbeat, { worker: 'w' }, { messageId: 'hb-1' })).rejects.toThrow(/channel closed/);
    // ...and the next one waits for the channel to be re-created (with its exchanges) and goes through.
    await publisher.publish(MessageTypes.WorkerHeartbeat, { worker: 'w' }, { messageId: 'hb-2' });
    expect(logs.lines().some((l) => l.msg?.startsWith('channel closed by the broker while the connection is up'))).toBe(true);
    await raw.publish(`${ns}.workers`, 'x', Buffer.from('{}')); // declared again by the setup
    await health.check();
  });

  /** Starts an AmqpServer on `url` that cannot start; answers the error listen() reported and how long that took. */
  const failedListen = async (url: string, queue: string, startupTimeoutMs: number) => {
    const server = new AmqpServer({ url, namespace: uniqueNamespace(), service: 'test', queue, prefetch: 1, startupTimeoutMs, logger: captureLogs().logger });
    connections.onCleanup(() => server.close());
    const t0 = Date.now();
    const err = await new Promise<unknown>((resolve) => void server.listen((e?: unknown) => resolve(e)));
    return { server, err, elapsedMs: Date.now() - t0 };
  };

  it('fails listen() after startupTimeoutMs when the broker is unreachable', async () => {
    const { server, err, elapsedMs } = await failedListen(UNREACHABLE_URL, 'nobroker', 500);
    expect(String(err)).toMatch(/could not start: no broker at amqp:\/\/guest:\*\*\*@127\.0\.0\.1:1.* within 500 ms/);
    expect(elapsedMs).toBeLessThan(3000);
    expect(server.isConsuming()).toBe(false);
  });

  it('fails listen() at once on bad credentials', async () => {
    const { err, elapsedMs } = await failedListen('amqp://nobody:wrong@127.0.0.1:5672', 'badcreds', 20_000);
    expect(String(err)).toMatch(/could not start: .*ACCESS.REFUSED/);
    expect(elapsedMs).toBeLessThan(10_000);
  });

  it('refuses nonsense options at construction', () => {
    const base = { url: BROKER_URL, namespace: 'n', service: 's', queue: 'q', prefetch: 1 };
    expect(() => new AmqpServer({ ...base, prefetch: 0 })).toThrow(/prefetch must be an integer >= 1/);
    expect(() => new AmqpServer({ ...base, queue: '' })).toThrow(/option queue is required/);
  });
});
