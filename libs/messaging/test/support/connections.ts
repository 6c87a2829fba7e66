import { afterEach } from '@jest/globals';
import { AmqpConnection } from '../../src';
import { BROKER_URL, RawBroker, captureLogs, uniqueNamespace, type CapturedLogs } from './broker';

/** A connection of the lib under test on a namespace of its own, with its logs and a raw broker to look behind it. */
export interface TestConnection {
  ns: string;
  logs: CapturedLogs;
  connection: AmqpConnection;
  raw: RawBroker;
}

export interface TestConnections {
  /** Opens a TestConnection; after the test it is closed and its namespace, with `queues`, deleted. */
  open(queues?: string[]): Promise<TestConnection>;
  /** Another step to run after the test (closing what the test made by hand). */
  onCleanup(step: () => Promise<unknown>): void;
}

/**
 * For suites that drive AmqpConnection and MessagePublisher by hand: what a test opens is closed
 * after it, the last opened first, whether the test passed or not.
 */
export function useTestConnections(): TestConnections {
  const steps: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const step of steps.reverse()) await step();
    steps.length = 0;
  });
  return {
    async open(queues = []) {
      const ns = uniqueNamespace();
      const logs = captureLogs();
      const connection = AmqpConnection.create({ url: BROKER_URL, service: 'test', logger: logs.logger });
      const raw = await RawBroker.open();
      steps.push(async () => {
        await connection.close();
        await raw.deleteNamespace(ns, queues);
        await raw.close();
      });
      return { ns, logs, connection, raw };
    },
    onCleanup(step) {
      steps.push(step);
    },
  };
}
