import type { MessageEnvelope } from '@attune/contracts';
import { Server, type CustomTransportStrategy, type ReadPacket } from '@nestjs/microservices';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { Channel, ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import type { Logger } from 'pino';
import { finalize, isObservable, lastValueFrom } from 'rxjs';
import { AmqpConnection } from './amqp-connection';
import { AmqpContext } from './amqp-context';
import { hasPayloadClass, parseEnvelope, validatePayload, type EnvelopeIds } from './envelope';
import { isFilterBoundFor } from './exception-filter-binding';
import { classifyFailure, retryDelay } from './failure-policy';
import { errorSummary, fallbackLogger, redactUrl } from './logger';
import {
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_MAX_RETRY_DELAY_MS,
  DEFAULT_PUBLISH_TIMEOUT_MS,
  DEFAULT_RETRY_DELAY_MS,
  DEFAULT_STARTUP_TIMEOUT_MS,
  type AmqpServerOptions,
} from './messaging.options';
import { failureReply, type ReplyBody } from './request-reply';
import { assertConsumerTopology, domainExchange, queueNames, type QueueBinding, type QueueNames } from './topology';

/** The transport id of AmqpServer: `@EventPattern(type, AMQP_TRANSPORT)` binds a handler to it only. */
export const AMQP_TRANSPORT = Symbol.for('attune.amqp');

export type AmqpServerStatus = 'connected' | 'disconnected';
/** Events of the consumer connection (amqp-connection-manager's): `connect`, `disconnect`, `blocked`… */
export type AmqpServerEvents = Record<string, (...args: unknown[]) => void>;

/** Header counting the attempts of a message; absent on the first delivery. */
export const ATTEMPT_HEADER = 'x-attempt';

type State = 'idle' | 'starting' | 'running' | 'closing' | 'closed';
type Settlement = 'ack' | 'dead-letter' | 'requeue';
/** How long a message waits before it is tried again while a dependency (the database) is down. */
const DEPENDENCY_WAIT_MS = 2000;

const CANCEL_TIMEOUT_MS = 5000;

/** Broker reply codes after which a declaration will fail the same way every time. */
const CONFIGURATION_ERRORS = new Set([403, 404, 406, 530]);

/**
 * The AMQP transport of every consuming service: a `@nestjs/microservices` custom strategy that
 * declares the queue, its DLQ and retry queue, binds it for each `@EventPattern` message type,
 * validates each message against its contract class, and acks, retries or dead-letters it
 * according to how the handler ended.
 */
export class AmqpServer extends Server<AmqpServerEvents, AmqpServerStatus> implements CustomTransportStrategy {
  override transportId = AMQP_TRANSPORT;
  /** Handler failures must reach this transport (it decides retry or DLQ), not only Nest's logger. */
  override readonly propagatesEventHandlerErrors = true;

  readonly names: QueueNames;
  private readonly options: Required<Omit<AmqpServerOptions, 'routingKeys' | 'logger' | 'only' | 'except'>> & Pick<AmqpServerOptions, 'routingKeys' | 'only' | 'except'>;
  private readonly log: Logger;
  private connection?: AmqpConnection;
  private channel?: ChannelWrapper;
  private consumer?: { channel: ConfirmChannel; consumerTag: string };
  private state: State = 'idle';
  private closePromise?: Promise<void>;
  /** Set while listen() waits for the first consumer: close() ends that wait at once. */
  private abortStartup?: (err: Error) => void;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly settled = new WeakSet<ConsumeMessage>();
  private readonly closedChannels = new WeakSet<Channel>();
  private readonly listeners: Array<[string, (...args: unknown[]) => void]> = [];

  constructor(options: AmqpServerOptions) {
    super();
    for (const key of ['url', 'namespace', 'service', 'queue'] as const) {
      if (typeof options[key] !== 'string' || options[key] === '') throw new Error(`AmqpServer: option ${key} is required`);
    }
    if (!Number.isInteger(options.prefetch) || options.prefetch < 1) {
      throw new Error(`AmqpServer: prefetch must be an integer >= 1 (got ${String(options.prefetch)})`);
    }
    this.options = {
      url: options.url,
      namespace: options.namespace,
      service: options.service,
      queue: options.queue,
      prefetch: options.prefetch,
      routingKeys: options.routingKeys,
      only: options.only,
      except: options.except,
      maxAttempts: Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS),
      retryDelayMs: Math.max(0, options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS),
      maxRetryDelayMs: Math.max(0, options.maxRetryDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS),
      drainTimeoutMs: Math.max(0, options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS),
      startupTimeoutMs: Math.max(1, options.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS),
      publishTimeoutMs: Math.max(1, options.publishTimeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS),
    };
    this.names = queueNames(options.namespace, options.queue);
    this.log = (options.logger ?? fallbackLogger(options.service)).child({ component: 'amqp-server', queue: this.names.queue });
  }

  /** True while the queue is being consumed. */
  isConsuming(): boolean {
    return this.state === 'running' && !!this.consumer && !!this.connection?.isConnected();
  }

  /** Listens to the consumer connection's events (`connect`, `disconnect`, `blocked`…); works before listen(). */
  on(event: string, callback: (...args: unknown[]) => void): void {
    this.listeners.push([event, callback]);
    this.connection?.manager.on(event, callback);
  }

  unwrap<T>(): T {
    if (!this.connection) throw new Error('AmqpServer is not listening');
    return this.connection.manager as T;
  }

  async listen(callback: (err?: unknown, ...info: unknown[]) => void): Promise<void> {
    try {
      await this.start();
    } catch (err) {
      callback(err);
      return;
    }
    callback();
  }

  private async start(): Promise<void> {
    if (this.state !== 'idle') throw new Error(`AmqpServer for ${this.names.queue} was already started`);
    const bindings = this.resolveBindings();
    if (!isFilterBoundFor(this)) {
      this.log.warn(
        'MessagingModule is not imported: a DomainError thrown by a handler reaches this transport as "Internal server error" and is retried; ' +
          'import MessagingModule.forRoot() or put @UseFilters(new AmqpExceptionFilter()) on the consumers',
      );
    }
    this.state = 'starting';
    const connection = AmqpConnection.create({
      url: this.options.url,
      service: this.options.service,
      role: `consumer.${this.options.queue}`,
      logger: this.log,
    });
    this.connection = connection;
    connection.manager.on('disconnect', () => this._status$.next('disconnected'));
    for (const [event, callback] of this.listeners) connection.manager.on(event, callback);

    let started!: () => void;
    let failed!: (err: unknown) => void;
    const startup = new Promise<void>((resolve, reject) => {
      started = resolve;
      failed = reject;
    });
    this.abortStartup = failed;
    const onConnectFailed = ({ err }: { err: Error }) => {
      if (/ACCESS[-_]REFUSED|403/.test(err.message)) failed(err);
    };
    connection.manager.on('connectFailed', onConnectFailed);
    this.channel = connection.createChannel(`consumer:${this.options.queue}`, async (channel) => {
      try {
        await this.setupChannel(channel, bindings);
        started();
      } catch (err) {
        if (CONFIGURATION_ERRORS.has((err as { code?: number })?.code ?? 0)) failed(err);
        throw err;
      }
    });

    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        startup,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no broker at ${redactUrl(this.options.url)} within ${this.options.startupTimeoutMs} ms`)),
            this.options.startupTimeoutMs,
          );
        }),
      ]);
    } catch (err) {
      this.state = 'closed';
      await connection.close();
      throw new Error(`AmqpServer ${this.names.queue} could not start: ${(err as Error).message}`, { cause: err });
    } finally {
      clearTimeout(timer);
      this.abortStartup = undefined;
      connection.manager.off('connectFailed', onConnectFailed);
    }
    if (this.state === 'starting') this.state = 'running';
    this.log.info(
      { prefetch: this.options.prefetch, bindings: bindings.map((b) => `${b.exchange}:${b.routingKey}`) },
      'consuming',
    );
  }

  /** The queue's bindings: per handler pattern, its routing keys on the exchange of that message type. */
  private resolveBindings(): QueueBinding[] {
    const bindings: QueueBinding[] = [];
    for (const [pattern, handler] of this.messageHandlers) {
      if (this.options.only && !this.options.only.includes(pattern)) continue;
      if (this.options.except?.includes(pattern)) continue;
      if (!handler.isEventHandler) {
        throw new Error(`@MessagePattern('${pattern}') is not supported by AmqpServer: use @EventPattern (a handler's return value is the reply to a request)`);
      }
      if (!hasPayloadClass(pattern)) {
        throw new Error(`@EventPattern('${pattern}'): no payload class for this type in PAYLOAD_CLASSES (@attune/contracts)`);
      }
      const exchange = domainExchange(this.options.namespace, pattern);
      for (const routingKey of this.options.routingKeys?.[pattern] ?? [pattern]) bindings.push({ exchange, routingKey });
    }
    for (const pattern of Object.keys(this.options.routingKeys ?? {})) {
      if (!this.messageHandlers.has(pattern)) this.log.warn({ type: pattern }, 'routingKeys names a type with no handler; not bound');
    }
    if (bindings.length === 0) this.log.warn('no @EventPattern handlers: the queue is declared but nothing is bound to it');
    return bindings;
  }

  /** Runs on every (re)connection: declare everything, set the prefetch, start consuming. */
  private async setupChannel(channel: ConfirmChannel, bindings: QueueBinding[]): Promise<void> {
    channel.once('close', () => {
      this.closedChannels.add(channel);
      if (this.consumer?.channel === channel) this.consumer = undefined;
    });
    await assertConsumerTopology(channel, this.names, bindings);
    await channel.prefetch(this.options.prefetch, false);
    if (this.state !== 'starting' && this.state !== 'running') return;
    const { consumerTag } = await channel.consume(this.names.queue, (msg) => this.onDelivery(channel, msg), { noAck: false });
    this.consumer = { channel, consumerTag };
    this._status$.next('connected');
    if (this.state === 'running') this.log.info('consuming again after reconnection');
  }

  private onDelivery(channel: ConfirmChannel, msg: ConsumeMessage | null): void {
    if (msg === null) {
      // The broker cancelled the consumer: the queue was deleted. Reconnecting re-declares it.
      this.log.error('consumer cancelled by the broker (queue deleted?); reconnecting to declare it again');
      if (this.consumer?.channel === channel) this.consumer = undefined;
      if (this.state === 'running') this.connection?.manager.reconnect();
      return;
    }
    if (this.state !== 'starting' && this.state !== 'running') {
      // Delivered while the consumer was being cancelled: give it back for another consumer.
      this.settle(channel, msg, 'requeue');
      return;
    }
    const task: Promise<void> = this.process(channel, msg)
      .catch((err: unknown) => {
        this.log.error({ ...this.deliveryIds(msg), error: errorSummary(err) }, 'unexpected error while handling a message; dead-lettered');
        this.settle(channel, msg, 'dead-letter');
      })
      .finally(() => this.inFlight.delete(task));
    this.inFlight.add(task);
  }

  private async process(channel: ConfirmChannel, msg: ConsumeMessage): Promise<void> {
    const attempt = attemptOf(msg);
    const parsed = parseEnvelope(msg.content);
    if (!parsed.ok) {
      this.log.warn({ ...this.deliveryIds(msg, parsed.ids), attempt, reason: parsed.reason }, 'invalid envelope; dead-lettered');
      await this.reply(channel, msg, { ok: false, error: { code: 'BAD_REQUEST', message: `invalid envelope: ${parsed.reason}` } });
      return this.settle(channel, msg, 'dead-letter');
    }
    const envelope = parsed.envelope;
    const log = this.log.child({
      message_id: envelope.message_id,
      type: envelope.type,
      correlation_id: envelope.correlation_id,
      attempt,
      routing_key: msg.fields.routingKey,
      ...(msg.fields.redelivered ? { redelivered: true } : {}),
    });
    if (!this.getHandlerByPattern(envelope.type)) {
      log.warn('no handler for this message type; dead-lettered');
      await this.reply(channel, msg, { ok: false, error: { code: 'BAD_REQUEST', message: `${envelope.type} has no handler in ${this.names.queue}` } });
      return this.settle(channel, msg, 'dead-letter');
    }
    const validated = await validatePayload(envelope.type, envelope.payload);
    if (!validated.ok) {
      log.warn({ problems: validated.problems }, 'payload fails validation; dead-lettered');
      await this.reply(channel, msg, {
        ok: false,
        error: { code: 'VALIDATION_ERROR', message: `${envelope.type} payload fails validation`, details: validated.problems },
      });
      return this.settle(channel, msg, 'dead-letter');
    }
    const ctx = new AmqpContext({ ...envelope, payload: validated.value } as MessageEnvelope<object>, msg, attempt);
    let result: unknown;
    try {
      result = await this.handleEvent(envelope.type, { pattern: envelope.type, data: validated.value }, ctx);
    } catch (err) {
      if (isRequest(msg)) return this.onRequestFailure(channel, msg, err, log);
      return this.onHandlerFailure(channel, msg, ctx, err, log);
    }
    await this.reply(channel, msg, { ok: true, data: result ?? null });
    this.settle(channel, msg, 'ack');
    log.debug('handled');
  }

  /**
   * A request (a message carrying replyTo) is answered, never retried: its caller waits with a
   * timeout, and a retry delayed past it would do the work for nobody. A DomainError goes back
   * with its code, message and details; anything else as INTERNAL_ERROR with an id that is
   * logged here.
   */
  private async onRequestFailure(channel: ConfirmChannel, msg: ConsumeMessage, err: unknown, log: Logger): Promise<void> {
    const { body, errorId } = failureReply(err);
    if (errorId) log.error({ error: errorSummary(err), error_id: errorId }, 'request handler failed; answered with an internal error');
    else log.info({ error: errorSummary(err) }, 'request handler refused the request; answered with its error');
    await this.reply(channel, msg, body);
    this.settle(channel, msg, 'ack');
  }

  /**
   * Sends the reply of a request (no-op for events), confirmed by the broker within the publish
   * timeout. A reply that cannot be sent is logged and given up: the work is done, and
   * redelivering the request would do it twice for a caller that has gone.
   */
  private async reply(channel: ConfirmChannel, msg: ConsumeMessage, body: ReplyBody): Promise<void> {
    if (!isRequest(msg) || this.closedChannels.has(channel)) return;
    const timeoutMs = this.options.publishTimeoutMs;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`reply not confirmed within ${timeoutMs} ms`)), timeoutMs);
        channel.publish(
          '',
          msg.properties.replyTo as string,
          Buffer.from(JSON.stringify(body)),
          { contentType: 'application/json', correlationId: msg.properties.messageId, type: `${msg.properties.type ?? 'unknown'}.reply` },
          (err: unknown) => {
            clearTimeout(timer);
            if (err) reject(err instanceof Error ? err : new Error('reply nacked by the broker'));
            else resolve();
          },
        );
      });
    } catch (err) {
      this.log.warn({ ...this.deliveryIds(msg), error: errorSummary(err) }, 'could not send the reply; the requester will time out');
    }
  }

  /**
   * Like the base implementation, but resolves only when the handler's promise or observable has
   * completed, and rejects with its error: the message is acked or retried only then.
   */
  override handleEvent(pattern: string, packet: ReadPacket, context: AmqpContext): Promise<unknown> {
    const handler = this.getHandlerByPattern(pattern);
    if (!handler) return Promise.reject(new Error(`no handler for ${pattern}`));
    return new Promise<unknown>((resolve, reject) => {
      const run = this.runWithProcessingHooks(context, async (runEndHook) => {
        try {
          let result: unknown = await handler(packet.data, context);
          if (isObservable(result)) {
            result = await lastValueFrom(result.pipe(finalize(runEndHook)), { defaultValue: undefined });
          }
          runEndHook();
          resolve(result);
        } catch (err) {
          runEndHook();
          reject(err);
        }
      }) as unknown;
      // The hook wrapper may answer a promise; its rejection is already handled through reject().
      if (run instanceof Promise) run.catch(() => undefined);
    });
  }

  private async onHandlerFailure(channel: ConfirmChannel, msg: ConsumeMessage, ctx: AmqpContext, err: unknown, log: Logger): Promise<void> {
    const verdict = classifyFailure(err);
    const error = errorSummary(err);
    if (verdict.action === 'dead-letter') {
      log.warn({ error, reason: verdict.reason }, 'handler failed permanently; dead-lettered');
      return this.settle(channel, msg, 'dead-letter');
    }
    if (verdict.action === 'wait') {
      // Same attempt number: the outage is not the message's fault. The pause is the base
      // retry delay at most, so a long outage costs one redelivery per consumer slot every 2 s.
      const pauseMs = Math.min(this.options.maxRetryDelayMs, DEPENDENCY_WAIT_MS);
      try {
        await this.publishRetry(channel, msg, ctx.attempt, pauseMs);
      } catch (publishErr) {
        log.error({ error, publish_error: errorSummary(publishErr) }, 'dependency down and the retry could not be scheduled; requeued');
        return this.settle(channel, msg, 'requeue');
      }
      log.warn({ error, reason: verdict.reason, delay_ms: pauseMs }, 'dependency down; message waits and is tried again');
      return this.settle(channel, msg, 'ack');
    }
    if (ctx.attempt >= this.options.maxAttempts) {
      log.error({ error, max_attempts: this.options.maxAttempts }, 'handler failed on the last attempt; dead-lettered');
      return this.settle(channel, msg, 'dead-letter');
    }
    const delayMs = retryDelay(ctx.attempt, this.options.retryDelayMs, this.options.maxRetryDelayMs);
    try {
      // Confirmed before the original is acked: a crash in between gives a duplicate, never a loss.
      await this.publishRetry(channel, msg, ctx.attempt + 1, delayMs);
    } catch (publishErr) {
      log.error({ error, publish_error: errorSummary(publishErr) }, 'handler failed and its retry could not be scheduled; requeued');
      return this.settle(channel, msg, 'requeue');
    }
    log.warn({ error, next_attempt: ctx.attempt + 1, delay_ms: delayMs }, 'handler failed; retry scheduled');
    this.settle(channel, msg, 'ack');
  }

  /** Publishes a copy to the retry queue, from where it dead-letters back to the queue after delayMs. */
  private publishRetry(channel: ConfirmChannel, msg: ConsumeMessage, nextAttempt: number, delayMs: number): Promise<void> {
    const p = msg.properties;
    const headers: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(p.headers ?? {})) {
      // The broker's dead-letter bookkeeping is dropped: the attempt header carries the count.
      if (key === 'x-death' || key.startsWith('x-first-death') || key.startsWith('x-last-death')) continue;
      headers[key] = value;
    }
    headers[ATTEMPT_HEADER] = nextAttempt;
    const props: Options.Publish = {
      persistent: true,
      expiration: String(delayMs),
      headers,
      ...(p.contentType ? { contentType: p.contentType } : {}),
      ...(p.contentEncoding ? { contentEncoding: p.contentEncoding } : {}),
      ...(p.messageId ? { messageId: p.messageId } : {}),
      ...(p.correlationId ? { correlationId: p.correlationId } : {}),
      ...(p.type ? { type: p.type } : {}),
      ...(p.timestamp ? { timestamp: p.timestamp } : {}),
      ...(p.appId ? { appId: p.appId } : {}),
    };
    const timeoutMs = this.options.publishTimeoutMs;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`retry copy not confirmed within ${timeoutMs} ms`)), timeoutMs);
      try {
        channel.publish('', this.names.retry, msg.content, props, (err: unknown) => {
          clearTimeout(timer);
          if (err) reject(err instanceof Error ? err : new Error('retry copy nacked by the broker'));
          else resolve();
        });
      } catch (err) {
        clearTimeout(timer);
        reject(err);
      }
    });
  }

  /**
   * Acks, dead-letters or requeues a delivery once. Never on a closed channel: the broker has
   * requeued the delivery already, and a delivery tag from a previous channel would make the
   * broker close the new one (406 unknown delivery tag).
   */
  private settle(channel: ConfirmChannel, msg: ConsumeMessage, how: Settlement): void {
    if (this.settled.has(msg)) return;
    this.settled.add(msg);
    if (this.closedChannels.has(channel)) {
      this.log.debug({ ...this.deliveryIds(msg), settlement: how }, 'channel closed before settlement; the broker redelivers the message');
      return;
    }
    try {
      if (how === 'ack') channel.ack(msg);
      else channel.nack(msg, false, how === 'requeue');
    } catch (err) {
      this.log.warn({ ...this.deliveryIds(msg), settlement: how, error: errorSummary(err) }, 'could not settle the message; the broker redelivers it');
    }
  }

  private deliveryIds(msg: ConsumeMessage, ids: EnvelopeIds = {}): EnvelopeIds & { routing_key: string } {
    return {
      message_id: ids.message_id ?? msg.properties.messageId,
      type: ids.type ?? msg.properties.type,
      correlation_id: ids.correlation_id ?? msg.properties.correlationId,
      routing_key: msg.fields.routingKey,
    };
  }

  /**
   * Graceful drain: cancel the consumer (no new deliveries), wait up to drainTimeoutMs for the
   * handlers in flight to finish and settle, then close the channel and the connection. What is
   * still unacked then goes back to the queue for another consumer.
   */
  close(): Promise<void> {
    this.closePromise ??= this.drainAndClose();
    return this.closePromise;
  }

  private async drainAndClose(): Promise<void> {
    if (this.state === 'idle' || this.state === 'closed') {
      this.state = 'closed';
      await this.connection?.close();
      return;
    }
    this.state = 'closing';
    this.abortStartup?.(new Error('closed while starting'));
    const consumer = this.consumer;
    this.consumer = undefined;
    if (consumer && !this.closedChannels.has(consumer.channel)) {
      // Bounded: on a connection that died unnoticed the cancel-ok would only come with the heartbeat timeout.
      const cancelled = await settleWithin([consumer.channel.cancel(consumer.consumerTag)], CANCEL_TIMEOUT_MS, (err) =>
        this.log.warn({ error: errorSummary(err) }, 'could not cancel the consumer'),
      );
      if (!cancelled) this.log.warn('consumer cancel not confirmed in time; closing anyway');
    }
    if (this.inFlight.size > 0) {
      this.log.info({ in_flight: this.inFlight.size, drain_timeout_ms: this.options.drainTimeoutMs }, 'draining');
      const drained = await settleWithin([...this.inFlight], this.options.drainTimeoutMs);
      if (!drained) {
        this.log.warn({ unfinished: this.inFlight.size }, 'drain timed out; unfinished messages stay unacked and are redelivered');
      }
    }
    this.state = 'closed';
    await this.channel?.close().catch(() => undefined);
    await this.connection?.close();
    this._status$.next('disconnected');
    this.log.info('closed');
  }
}

/** A message that expects an answer: it was sent by MessagePublisher.request(). */
function isRequest(msg: ConsumeMessage): boolean {
  return typeof msg.properties.replyTo === 'string' && msg.properties.replyTo !== '';
}

function attemptOf(msg: ConsumeMessage): number {
  const raw: unknown = msg.properties.headers?.[ATTEMPT_HEADER];
  const n = typeof raw === 'number' ? raw : Number(raw);
  return Number.isInteger(n) && n >= 1 ? n : 1;
}

/** True when every promise settled within ms; false on timeout. Rejections go to onError. */
async function settleWithin(promises: Promise<unknown>[], ms: number, onError?: (err: unknown) => void): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.allSettled(promises).then((results) => {
        for (const r of results) if (r.status === 'rejected') onError?.(r.reason);
        return true;
      }),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
