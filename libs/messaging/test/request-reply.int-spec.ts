import { DomainError, ERROR_CODES, MessageTypes } from '@attune/contracts';
import { describe, expect, it } from '@jest/globals';
import { AmqpConnection, MessagePublisher, RemoteHandlerError, RequestTimeoutError, RequestUnroutableError } from '../src';
import { BROKER_URL, waitFor } from './support/broker';
import { gate, useConsumerApps } from './support/consumer-app';

const QUEUE = 'rpc';

describe('request/reply over RabbitMQ (direct reply-to)', () => {
  const bus = useConsumerApps(QUEUE, { mode: 'hybrid' });

  it("answers a request with the handler's return value, and acks it", async () => {
    const { publisher, probe } = await bus.start();
    probe.behavior = ({ payload, ctx }) => ({ doubled: (payload as { execution_id: number }).execution_id * 2, correlation: ctx.correlationId });

    const reply = await publisher.request<{ doubled: number; correlation: string }>(
      MessageTypes.ExecutionRequested,
      { execution_id: 21 },
      { correlationId: 'execution:21', timeoutMs: 5000 },
    );

    expect(reply).toEqual({ doubled: 42, correlation: 'execution:21' });
    expect(probe.calls).toHaveLength(1);
    expect(probe.calls[0].ctx.message.properties.replyTo).toMatch(/^amq\.rabbitmq\.reply-to\./);
    await waitFor(async () => (await bus.raw.messages(bus.q.queue)) === 0, { what: 'an empty queue' });
    expect(await bus.raw.messages(bus.q.dlq)).toBe(0);
  });

  it('matches concurrent requests to their own replies', async () => {
    const { publisher, probe } = await bus.start();
    probe.behavior = async ({ payload }) => {
      const id = (payload as { execution_id: number }).execution_id;
      // Answer out of order: later requests finish first.
      await new Promise((r) => setTimeout(r, (20 - id) * 5));
      return { id };
    };
    const ids = Array.from({ length: 20 }, (_, i) => i + 1);
    const replies = await Promise.all(ids.map((id) => publisher.request<{ id: number }>(MessageTypes.ExecutionRequested, { execution_id: id })));
    expect(replies.map((r) => r.id)).toEqual(ids);
  });

  it('answers null when the handler returns nothing', async () => {
    const { publisher } = await bus.start();
    await expect(publisher.request(MessageTypes.ExecutionRequested, { execution_id: 1 })).resolves.toBeNull();
  });

  it('brings a DomainError back as a DomainError with its code, message and details, without retrying or dead-lettering', async () => {
    const { publisher, probe } = await bus.start();
    probe.behavior = () => {
      throw new DomainError('CONFLICT', 'artifact ref "x" already exists', { ref: 'x' });
    };

    const err = await publisher.request(MessageTypes.ExecutionRequested, { execution_id: 3 }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({ code: 'CONFLICT', message: 'artifact ref "x" already exists', details: { ref: 'x' } });
    expect(ERROR_CODES[(err as DomainError).code]).toBe(409);
    // NOT_FOUND (which would dead-letter an event) is answered the same way.
    probe.behavior = () => {
      throw new DomainError('NOT_FOUND', 'artifact 9 not found');
    };
    await expect(publisher.request(MessageTypes.ExecutionRequested, { execution_id: 4 })).rejects.toMatchObject({
      name: 'DomainError',
      code: 'NOT_FOUND',
    });
    await waitFor(async () => (await bus.raw.messages(bus.q.queue)) === 0, { what: 'an empty queue' });
    expect(probe.calls).toHaveLength(2);
    expect(await bus.raw.messages(bus.q.dlq)).toBe(0);
    expect(await bus.raw.messages(bus.q.retry)).toBe(0);
  });

  it('answers an unexpected handler error as INTERNAL_ERROR with an id, leaking nothing of the error', async () => {
    const { publisher, probe } = await bus.start();
    probe.behavior = () => {
      throw new Error('password=hunter2 broke the database');
    };

    const err = (await publisher.request(MessageTypes.ExecutionRequested, { execution_id: 5 }).catch((e: unknown) => e)) as RemoteHandlerError;

    expect(err).toBeInstanceOf(RemoteHandlerError);
    expect(err.code).toBe('INTERNAL_ERROR');
    expect(err.message).toMatch(/^internal error \(id [0-9a-f-]{36}\)$/);
    expect(err.message).not.toContain('hunter2');
    // The consumer logged the real error under that id.
    const line = bus.logs.lines().find((l) => l.error_id === err.errorId);
    expect(line).toMatchObject({ msg: 'request handler failed; answered with an internal error' });
    expect(probe.calls).toHaveLength(1);
  });

  it('answers a payload failing validation with VALIDATION_ERROR naming the fields, and dead-letters it', async () => {
    const { publisher, probe } = await bus.start();
    const err = await publisher.request(MessageTypes.ExecutionRequested, { execution_id: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({ code: 'VALIDATION_ERROR', details: ['execution_id: min'] });
    expect(probe.calls).toHaveLength(0);
    await waitFor(async () => (await bus.raw.messages(bus.q.dlq)) === 1, { what: 'the request in the DLQ' });
  });

  it('rejects with RequestTimeoutError after timeoutMs when the handler does not answer in time', async () => {
    const { publisher, probe } = await bus.start();
    const held = gate();
    probe.behavior = () => held.promise.then(() => 'too late');

    const t0 = Date.now();
    const err = await publisher.request(MessageTypes.ExecutionRequested, { execution_id: 6 }, { timeoutMs: 400 }).catch((e: unknown) => e);
    const elapsed = Date.now() - t0;

    expect(err).toBeInstanceOf(RequestTimeoutError);
    expect(err).toMatchObject({ code: 'REQUEST_TIMEOUT', timeoutMs: 400 });
    expect(elapsed).toBeGreaterThanOrEqual(390);
    expect(elapsed).toBeLessThan(3000);
    // The late reply is dropped, and the publisher keeps working.
    held.open();
    await waitFor(() => bus.logs.lines().find((l) => l.msg?.startsWith('reply to a request nobody waits for')), { what: 'the late reply' });
    probe.behavior = () => 'on time';
    await expect(publisher.request(MessageTypes.ExecutionRequested, { execution_id: 7 })).resolves.toBe('on time');
  });

  it('rejects at once with RequestUnroutableError when no consumer is bound for the type', async () => {
    const connection = AmqpConnection.create({ url: BROKER_URL, service: 'test', logger: bus.logs.logger });
    const publisher = new MessagePublisher(connection, { namespace: bus.ns, service: 'test', logger: bus.logs.logger });
    try {
      const t0 = Date.now();
      const err = await publisher.request(MessageTypes.ExecutionRequested, { execution_id: 8 }, { timeoutMs: 10_000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RequestUnroutableError);
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      await publisher.close();
      await connection.close();
    }
  });

  it('drops a request that waited in the queue past its timeout instead of handling it for nobody', async () => {
    // The queue exists (declared by a consumer that then stopped), but nobody consumes it.
    const first = await bus.start();
    await first.app.close();
    bus.closedByTest(first.app);
    const connection = AmqpConnection.create({ url: BROKER_URL, service: 'test', logger: bus.logs.logger });
    const publisher = new MessagePublisher(connection, { namespace: bus.ns, service: 'test', logger: bus.logs.logger });
    try {
      await expect(publisher.request(MessageTypes.ExecutionRequested, { execution_id: 9 }, { timeoutMs: 300 })).rejects.toBeInstanceOf(
        RequestTimeoutError,
      );
    } finally {
      await publisher.close();
      await connection.close();
    }
    const { probe } = await bus.start();
    // Expired messages are dead-lettered by the broker when they reach the head of the queue.
    await waitFor(async () => (await bus.raw.messages(bus.q.dlq)) === 1, { what: 'the expired request in the DLQ' });
    expect(probe.calls).toHaveLength(0);
  });

  it('leaves events alone: a handler that returns a value for an event sends nothing', async () => {
    const { publisher, probe } = await bus.start();
    probe.behavior = () => ({ ignored: true });
    await publisher.publish(MessageTypes.ExecutionRequested, { execution_id: 10 });
    await waitFor(() => probe.finished[0], { what: 'the handler' });
    await waitFor(async () => (await bus.raw.messages(bus.q.queue)) === 0, { what: 'an empty queue' });
    expect(bus.logs.lines().some((l) => l.msg === 'could not send the reply; the requester will time out')).toBe(false);
  });
});
