import { DomainError, ExecutionRequestedV1, MessageTypes, dispatchRoutingKey } from '@attune/contracts';
import { describe, expect, it } from '@jest/globals';
import { PermanentMessageError } from '../src';
import { waitFor } from './support/broker';
import { gate, useConsumerApps } from './support/consumer-app';

const QUEUE = 'consumer';

const dispatchPayload = (token: string) => ({
  execution_id: 5,
  action: {
    ref: 'core.echo',
    pack_ref: 'core',
    runtime: 'shell',
    entrypoint: 'echo hi',
    inline: true,
    output_format: 'text',
    secret_parameters: [],
  },
  parameters: { message: 'hi' },
  env_vars: {},
  timeout_seconds: 30,
  token,
});

describe('AmqpServer against RabbitMQ', () => {
  const bus = useConsumerApps(QUEUE);

  it('delivers a published message to its handler with the validated payload and the envelope (hybrid app)', async () => {
    const { publisher, probe, health } = await bus.start({ mode: 'hybrid' });
    await health.check();

    await publisher.publish(MessageTypes.ExecutionRequested, { execution_id: 42 }, { correlationId: 'execution:42', messageId: 'm-42' });

    const call = await waitFor(() => probe.finished[0], { what: 'the handler' });
    expect(call.payload).toBeInstanceOf(ExecutionRequestedV1);
    expect(call.payload).toEqual({ execution_id: 42 });
    const { ctx } = call;
    expect(ctx.envelope).toMatchObject({
      message_id: 'm-42',
      correlation_id: 'execution:42',
      type: 'execution.requested.v1',
      version: 1,
      payload: call.payload,
    });
    expect(Date.now() - Date.parse(ctx.envelope.timestamp)).toBeLessThan(60_000);
    expect(ctx.attempt).toBe(1);
    expect(ctx.correlationId).toBe('execution:42');
    expect(ctx.routingKey).toBe('execution.requested.v1');
    expect(ctx.message.properties).toMatchObject({
      deliveryMode: 2,
      contentType: 'application/json',
      messageId: 'm-42',
      correlationId: 'execution:42',
      type: 'execution.requested.v1',
    });
    expect(typeof ctx.message.properties.timestamp).toBe('number');
    // acked: nothing left, nothing dead-lettered
    await waitFor(async () => (await bus.raw.messages(bus.q.queue)) === 0, { what: 'an empty queue' });
    expect(await bus.raw.messages(bus.q.dlq)).toBe(0);
    // the log line of a publish carries the ids
    expect(bus.logs.lines().find((l) => l.msg === 'published')).toMatchObject({ message_id: 'm-42', type: 'execution.requested.v1', correlation_id: 'execution:42' });
  });

  it('binds the routing keys given per type instead of the type (worker pools)', async () => {
    const { publisher, probe } = await bus.start({
      server: { routingKeys: { [MessageTypes.ExecutionDispatch]: [dispatchRoutingKey('default')] } },
    });

    await publisher.publish(MessageTypes.ExecutionDispatch, dispatchPayload('tok'), { routingKey: dispatchRoutingKey('default'), messageId: 'd-1' });
    const call = await waitFor(() => probe.finished[0], { what: 'the dispatch' });
    expect(call.ctx.routingKey).toBe('execution.dispatch.v1.default');

    // Another pool's key reaches no queue of this server: the broker returns it and the publisher says so.
    await publisher.publish(MessageTypes.ExecutionDispatch, dispatchPayload('tok'), { routingKey: dispatchRoutingKey('gpu'), messageId: 'd-2' });
    await waitFor(() => bus.logs.lines().find((l) => l.msg?.startsWith('message unroutable') && l.message_id === 'd-2'), { what: 'the unroutable log line' });
    // Not bound to the bare type either (the default binding is replaced, not extended).
    await publisher.publish(MessageTypes.ExecutionDispatch, dispatchPayload('tok'), { messageId: 'd-3' });
    await waitFor(() => bus.logs.lines().find((l) => l.msg?.startsWith('message unroutable') && l.message_id === 'd-3'), { what: 'the unroutable log line' });
    expect(probe.calls).toHaveLength(1);
  });

  it('dead-letters a payload failing validation without calling the handler, and logs ids but not the payload', async () => {
    const { publisher, probe } = await bus.start();
    const token = 'eyJ-secret-token-value';

    await publisher.publish(MessageTypes.ExecutionDispatch, { ...dispatchPayload(token), timeout_seconds: 0 }, { messageId: 'bad-1', correlationId: 'execution:5' });

    const dead = await waitFor(() => bus.raw.get(bus.q.dlq), { what: 'the message in the DLQ' });
    expect(dead.properties.messageId).toBe('bad-1');
    expect(JSON.parse(dead.content.toString()).payload.token).toBe(token); // kept whole for inspection
    expect(dead.properties.headers?.['x-death']?.[0]).toMatchObject({ reason: 'rejected', queue: bus.q.queue });
    expect(probe.calls).toHaveLength(0);
    expect(await bus.raw.messages(bus.q.queue)).toBe(0);

    const line = bus.logs.lines().find((l) => l.msg === 'payload fails validation; dead-lettered');
    expect(line).toMatchObject({ message_id: 'bad-1', type: 'execution.dispatch.v1', correlation_id: 'execution:5', problems: ['timeout_seconds: min'] });
    expect(bus.logs.text()).not.toContain(token);
  });

  it('dead-letters a body that is no envelope, and a type that has no handler', async () => {
    const { probe } = await bus.start({
      // execution.started.v1 reaches the queue, but no handler is registered for it
      server: { routingKeys: { [MessageTypes.ExecutionRequested]: [MessageTypes.ExecutionRequested, MessageTypes.ExecutionStarted] } },
    });
    await bus.raw.publish(`${bus.ns}.executions`, MessageTypes.ExecutionRequested, Buffer.from('not json'), { messageId: 'junk-1' });
    const envelope = {
      message_id: 'orphan-1',
      correlation_id: 'c',
      type: MessageTypes.ExecutionStarted,
      version: 1,
      timestamp: new Date().toISOString(),
      payload: { execution_id: 1, worker: 'w', started_at: new Date().toISOString() },
    };
    await bus.raw.publish(`${bus.ns}.executions`, MessageTypes.ExecutionStarted, Buffer.from(JSON.stringify(envelope)));

    await waitFor(async () => (await bus.raw.messages(bus.q.dlq)) === 2, { what: 'two messages in the DLQ' });
    expect(probe.calls).toHaveLength(0);
    expect(bus.logs.lines().find((l) => l.msg === 'invalid envelope; dead-lettered')).toMatchObject({ message_id: 'junk-1', reason: 'body is not JSON' });
    expect(bus.logs.lines().find((l) => l.msg === 'no handler for this message type; dead-lettered')).toMatchObject({ message_id: 'orphan-1' });
  });

  it('retries a handler that fails transiently, with the attempt in ctx, until it succeeds', async () => {
    const { publisher, probe } = await bus.start({ server: { maxAttempts: 5, retryDelayMs: 20 } });
    probe.behavior = ({ ctx }) => {
      if (ctx.attempt < 3) throw new Error('database unavailable');
    };

    await publisher.publish(MessageTypes.ExecutionRequested, { execution_id: 1 }, { messageId: 'flaky-1', correlationId: 'execution:1' });

    await waitFor(() => probe.finished.length === 1, { what: 'a successful attempt' });
    expect(probe.calls.map((c) => c.ctx.attempt)).toEqual([1, 2, 3]);
    expect(new Set(probe.calls.map((c) => c.ctx.messageId))).toEqual(new Set(['flaky-1']));
    expect(new Set(probe.calls.map((c) => c.ctx.correlationId))).toEqual(new Set(['execution:1']));
    expect(probe.calls[2].ctx.message.properties.headers?.['x-attempt']).toBe(3);
    await waitFor(async () => (await bus.raw.messages(bus.q.queue)) === 0, { what: 'an empty queue' });
    expect(await bus.raw.messages(bus.q.retry)).toBe(0);
    expect(await bus.raw.messages(bus.q.dlq)).toBe(0);
    const retries = bus.logs.lines().filter((l) => l.msg === 'handler failed; retry scheduled');
    expect(retries.map((l) => [l.next_attempt, l.delay_ms])).toEqual([
      [2, 20],
      [3, 40],
    ]);
  });

  it('dead-letters a message whose handler always fails after maxAttempts', async () => {
    const { publisher, probe } = await bus.start({ server: { maxAttempts: 3, retryDelayMs: 10 } });
    probe.behavior = () => {
      throw new Error('always broken');
    };

    await publisher.publish(MessageTypes.ExecutionRequested, { execution_id: 2 }, { messageId: 'doomed-1' });

    const dead = await waitFor(() => bus.raw.get(bus.q.dlq), { what: 'the message in the DLQ' });
    expect(dead.properties.messageId).toBe('doomed-1');
    expect(dead.properties.headers?.['x-attempt']).toBe(3);
    expect(probe.calls.map((c) => c.ctx.attempt)).toEqual([1, 2, 3]);
    expect(await bus.raw.messages(bus.q.queue)).toBe(0);
    expect(await bus.raw.messages(bus.q.retry)).toBe(0);
    expect(bus.logs.lines().find((l) => l.msg === 'handler failed on the last attempt; dead-lettered')).toMatchObject({
      message_id: 'doomed-1',
      attempt: 3,
      error: { name: 'Error', message: 'always broken' },
    });
  });

  it('dead-letters at once on PermanentMessageError and on a DomainError NOT_FOUND, retries a DomainError CONFLICT (hybrid app)', async () => {
    // hybrid, as the services run: the exception filter must be bound before connectMicroservice registers the handlers
    const { publisher, probe } = await bus.start({ mode: 'hybrid', server: { maxAttempts: 2, retryDelayMs: 10 } });
    probe.behavior = ({ payload }) => {
      const id = (payload as ExecutionRequestedV1).execution_id;
      if (id === 1) throw new PermanentMessageError('execution 1 is gone');
      if (id === 2) throw new DomainError('NOT_FOUND', 'execution 2 not found');
      if (id === 3) throw new DomainError('CONFLICT', 'execution 3 is locked');
    };

    await publisher.publish(MessageTypes.ExecutionRequested, { execution_id: 1 }, { messageId: 'perm-1' });
    await publisher.publish(MessageTypes.ExecutionRequested, { execution_id: 2 }, { messageId: 'perm-2' });
    await publisher.publish(MessageTypes.ExecutionRequested, { execution_id: 3 }, { messageId: 'conflict-3' });

    await waitFor(async () => (await bus.raw.messages(bus.q.dlq)) === 3, { what: 'three messages in the DLQ' });
    const attempts = (id: number) => probe.calls.filter((c) => (c.payload as ExecutionRequestedV1).execution_id === id).map((c) => c.ctx.attempt);
    expect(attempts(1)).toEqual([1]);
    expect(attempts(2)).toEqual([1]);
    expect(attempts(3)).toEqual([1, 2]);
    const dead = await bus.raw.drain(bus.q.dlq);
    expect(dead.map((m) => m.properties.messageId).sort()).toEqual(['conflict-3', 'perm-1', 'perm-2']);
    expect(bus.logs.lines().filter((l) => l.msg === 'handler failed permanently; dead-lettered').map((l) => l.reason).sort()).toEqual([
      'DomainError NOT_FOUND',
      'PermanentMessageError',
    ]);
  });

  it('holds no more unacked messages than the prefetch', async () => {
    const { publisher, probe } = await bus.start({ server: { prefetch: 2 } });
    const hold = gate();
    probe.behavior = () => hold.promise;

    for (let i = 1; i <= 5; i++) await publisher.publish(MessageTypes.ExecutionRequested, { execution_id: i });

    await waitFor(async () => probe.calls.length === 2 && (await bus.raw.messages(bus.q.queue)) === 3, { what: '2 in flight, 3 ready' });
    expect(probe.calls).toHaveLength(2);
    hold.open();
    await waitFor(() => probe.finished.length === 5, { what: 'all five handled' });
  });

  /** Starts a consumer draining for at most `drainTimeoutMs`, whose handler holds the message it is sent until `hold` opens. */
  const startHolding = async (drainTimeoutMs: number, execution_id: number, messageId: string) => {
    const consumer = await bus.start({ server: { drainTimeoutMs } });
    const hold = gate();
    consumer.probe.behavior = () => hold.promise;
    await consumer.publisher.publish(MessageTypes.ExecutionRequested, { execution_id }, { messageId });
    await waitFor(() => consumer.probe.calls.length === 1, { what: 'the handler to start' });
    return { ...consumer, hold };
  };

  it('does not ack before the handler has finished: closing mid-handler leaves the message in the queue', async () => {
    const { app, probe, hold } = await startHolding(100, 7, 'slow-7');
    expect(await bus.raw.messages(bus.q.queue)).toBe(0); // delivered, unacked

    await app.close(); // drain times out: the handler is still running
    bus.closedByTest(app);
    const back = await waitFor(() => bus.raw.get(bus.q.queue), { what: 'the message back in the queue' });
    expect(back.properties.messageId).toBe('slow-7');
    expect(back.fields.redelivered).toBe(true);

    hold.open(); // finishing after the channel closed must not ack on another channel or throw
    await waitFor(() => probe.finished.length === 1, { what: 'the handler to finish' });
    expect(await bus.raw.messages(bus.q.dlq)).toBe(0);
  });

  it('drains gracefully: stops consuming, waits for the handler in flight, acks it, then closes', async () => {
    const { app, probe, hold } = await startHolding(20_000, 8, 'inflight-8');

    let closed = false;
    const closing = app.close().then(() => {
      closed = true;
    });
    bus.closedByTest(app);
    await waitFor(async () => (await bus.raw.stats(bus.q.queue)).consumers === 0, { what: 'the consumer to be cancelled' });
    // A message published now is not delivered to the draining server.
    await bus.raw.publish(`${bus.ns}.executions`, MessageTypes.ExecutionRequested, Buffer.from('{}'), { messageId: 'late-9' });
    await waitFor(async () => (await bus.raw.messages(bus.q.queue)) === 1, { what: 'the late message to wait in the queue' });
    expect(closed).toBe(false);

    hold.open();
    await closing;
    expect(probe.finished.map((c) => c.ctx.messageId)).toEqual(['inflight-8']);
    // The in-flight message was acked before the channel closed: only the late one is left.
    const left = await bus.raw.drain(bus.q.queue);
    expect(left.map((m) => m.properties.messageId)).toEqual(['late-9']);
  });

  it('declares its queue again and resumes consuming when the queue is deleted under it', async () => {
    const { publisher, probe, health } = await bus.start();
    await bus.raw.deleteNamespace(bus.ns, [QUEUE]); // queues and exchanges, bindings with them

    await waitFor(() => bus.logs.lines().some((l) => l.msg?.startsWith('consumer cancelled by the broker')), { what: 'the cancel to be noticed' });
    await waitFor(async () => (await bus.raw.stats(bus.q.queue)).consumers === 1, { what: 'the queue to be declared and consumed again' });
    await waitFor(() => health.check().then(() => true), { what: 'a healthy broker' });
    await publisher.publish(MessageTypes.ExecutionRequested, { execution_id: 11 }, { messageId: 'again-11' });
    await waitFor(() => probe.finished.some((c) => c.ctx.messageId === 'again-11'), { what: 'the message after recovery' });
  });

  it('fails to start, instead of hanging, when the queue exists with other arguments', async () => {
    await bus.raw.assertQueue(bus.q.queue, { durable: true }); // no dead-letter arguments
    await expect(bus.start({ server: { startupTimeoutMs: 5000 } })).rejects.toThrow(/could not start: .*PRECONDITION_FAILED/);
  });
});
