import { execSync } from 'node:child_process';
import { MessageTypes } from '@attune/contracts';
import { afterAll, describe, expect, it } from '@jest/globals';
import { RawBroker, captureLogs, uniqueNamespace, waitFor } from './support/broker';
import { startConsumerApp, type ConsumerApp } from './support/consumer-app';

/**
 * Stops and restarts the RabbitMQ application under a running consumer and publisher. This
 * disturbs every other client of the broker for a few seconds, which is why it has a file of its
 * own (and why the lib's jest config runs test files one at a time).
 */
describe('recovery after a broker restart', () => {
  const ns = uniqueNamespace();
  const service = `rc${Math.random().toString(36).slice(2, 8)}`;
  let consumer: ConsumerApp | undefined;
  let brokerStopped = false;
  const rabbitmqctl = (cmd: string) => execSync(`rabbitmqctl ${cmd}`, { timeout: 60_000, stdio: 'pipe' }).toString();

  afterAll(async () => {
    if (brokerStopped) rabbitmqctl('start_app');
    await consumer?.app.close();
    const raw = await waitFor(() => RawBroker.open(), { timeoutMs: 60_000, what: 'the broker for cleanup' });
    await raw.deleteNamespace(ns, ['reconnect']);
    await raw.close();
  }, 120_000);

  it('publishes and consumes again after stop_app/start_app without recreating anything', async () => {
    const logs = captureLogs();
    consumer = await startConsumerApp({ namespace: ns, queue: 'reconnect', service, logger: logs.logger, publishTimeoutMs: 60_000 });
    const { publisher, probe, health, server } = consumer;
    const handled = (id: string) => probe.finished.some((c) => c.ctx.messageId === id);

    // Publisher and consumer are two connections, named after the service.
    const connections = rabbitmqctl('list_connections client_properties');
    expect(connections).toContain(`${service}.publisher`);
    expect(connections).toContain(`${service}.consumer.reconnect`);

    await publisher.publish(MessageTypes.ExecutionRequested, { execution_id: 1 }, { messageId: 'before' });
    await waitFor(() => handled('before'), { what: 'the message published before the restart' });

    rabbitmqctl('stop_app');
    brokerStopped = true;
    await waitFor(() => health.check().then(() => false, () => true), { timeoutMs: 30_000, what: 'the health check to report the broker down' });
    expect(server.isConsuming()).toBe(false);

    // Published while the broker is down: held in memory, sent and confirmed after reconnection.
    const duringOutage = publisher.publish(MessageTypes.ExecutionRequested, { execution_id: 2 }, { messageId: 'during' });

    rabbitmqctl('start_app');
    brokerStopped = false;
    await waitFor(() => health.check().then(() => true), { timeoutMs: 60_000, intervalMs: 200, what: 'the health check to recover' });
    await duringOutage;
    await waitFor(() => handled('during'), { timeoutMs: 30_000, what: 'the message published during the outage' });

    await publisher.publish(MessageTypes.ExecutionRequested, { execution_id: 3 }, { messageId: 'after' });
    await waitFor(() => handled('after'), { timeoutMs: 30_000, what: 'the message published after the restart' });
    expect(server.isConsuming()).toBe(true);
    expect(logs.lines().some((l) => l.msg === 'consuming again after reconnection')).toBe(true);
  }, 180_000);
});
