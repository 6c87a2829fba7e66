import type { OnApplicationShutdown } from '@nestjs/common';
import { connect, type AmqpConnectionManager, type ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel } from 'amqplib';
import type { Logger } from 'pino';
import { errorSummary, fallbackLogger, redactUrl } from './logger';
import { HEARTBEAT_SECONDS, RECONNECT_SECONDS } from './messaging.options';

export interface AmqpConnectionOptions {
  url: string;
  service: string;
  /** What the connection is for, e.g. `publisher` or `consumer.executor`; part of its name in the broker. */
  role?: string;
  logger?: Logger;
  heartbeatSeconds?: number;
  reconnectSeconds?: number;
}

interface ChannelState {
  ready: boolean;
  closed: boolean;
}

/**
 * One auto-reconnecting AMQP connection (amqp-connection-manager). Publisher and consumer use
 * separate instances, so a consumer that is slow to ack never holds back a publisher's flow and
 * a blocked publisher connection never stops consumption.
 */
export class AmqpConnection implements OnApplicationShutdown {
  readonly manager: AmqpConnectionManager;
  /** The connection name shown by `rabbitmqctl list_connections name client_properties`. */
  readonly name: string;
  private readonly logger: Logger;
  private readonly reconnectMs: number;
  private readonly channels = new Map<ChannelWrapper, ChannelState>();
  private closed = false;
  private closing?: Promise<void>;
  private failuresSinceConnect = 0;

  static create(options: AmqpConnectionOptions): AmqpConnection {
    return new AmqpConnection(options);
  }

  constructor(options: AmqpConnectionOptions) {
    this.name = `${options.service}.${options.role ?? 'publisher'}`;
    this.logger = (options.logger ?? fallbackLogger(options.service)).child({ amqp_connection: this.name });
    const reconnectSeconds = options.reconnectSeconds ?? RECONNECT_SECONDS;
    this.reconnectMs = reconnectSeconds * 1000;
    const broker = redactUrl(options.url);
    this.manager = connect([options.url], {
      heartbeatIntervalInSeconds: options.heartbeatSeconds ?? HEARTBEAT_SECONDS,
      reconnectTimeInSeconds: reconnectSeconds,
      // Nagle off: every publish, ack and confirm is a small write that should leave at once
      // (amqplib leaves Nagle on unless told; RabbitMQ turns it off on its side).
      connectionOptions: { noDelay: true, clientProperties: { connection_name: this.name } },
    });
    this.manager.on('connect', () => {
      this.failuresSinceConnect = 0;
      this.logger.info({ broker }, 'connected to the broker');
    });
    this.manager.on('disconnect', ({ err }: { err?: Error }) => {
      if (!this.closed) this.logger.warn({ broker, error: err && errorSummary(err) }, 'disconnected from the broker; reconnecting');
    });
    this.manager.on('connectFailed', ({ err }: { err: Error }) => {
      // One line per outage at warn, then debug: reconnecting every second must not flood the logs.
      const level = this.failuresSinceConnect++ === 0 ? 'warn' : 'debug';
      if (!this.closed) this.logger[level]({ broker, error: errorSummary(err) }, 'cannot connect to the broker; retrying');
    });
    this.manager.on('blocked', ({ reason }: { reason: string }) => this.logger.warn({ reason }, 'connection blocked by the broker'));
    this.manager.on('unblocked', () => this.logger.info('connection unblocked'));
  }

  /** True when the connection is up and every channel created through it is set up. */
  isConnected(): boolean {
    if (this.closed || !this.manager.isConnected()) return false;
    for (const state of this.channels.values()) {
      if (!state.closed && !state.ready) return false;
    }
    return true;
  }

  /**
   * A confirm channel whose `setup` runs on every (re)connection: declarations, prefetch and
   * consumers all live in it, so everything comes back by itself after a broker restart.
   *
   * amqp-connection-manager only re-creates a channel when the whole connection is re-created.
   * A channel the broker closes on its own (406 on a redeclaration with other arguments, 404 on
   * a publish to a deleted exchange…) would stay dead while the connection lives, so that case
   * forces a reconnection.
   */
  createChannel(name: string, setup: (channel: ConfirmChannel) => Promise<void>): ChannelWrapper {
    const state: ChannelState = { ready: false, closed: false };
    const wrapper = this.manager.createChannel({
      name,
      confirm: true,
      json: false,
      setup: async (channel: ConfirmChannel) => {
        state.ready = false;
        const connection = this.manager.connection;
        channel.on('error', (err: Error) => this.logger.warn({ channel: name, error: errorSummary(err) }, 'channel error'));
        channel.once('close', () => {
          state.ready = false;
          this.recoverChannel(name, state, connection);
        });
        await setup(channel);
        state.ready = true;
      },
    });
    // Without a listener an 'error' event would throw; setup failures are retried on reconnection.
    wrapper.on('error', (err: Error) => this.logger.error({ channel: name, error: errorSummary(err) }, 'channel setup failed'));
    wrapper.once('close', () => {
      state.closed = true;
      this.channels.delete(wrapper);
    });
    this.channels.set(wrapper, state);
    return wrapper;
  }

  private recoverChannel(name: string, state: ChannelState, connection: unknown): void {
    if (this.closed || state.closed) return;
    const timer = setTimeout(() => {
      // A closed connection closes its channels too; the manager reconnects by itself then.
      if (this.closed || state.closed || !connection || this.manager.connection !== connection) return;
      this.logger.warn({ channel: name }, 'channel closed by the broker while the connection is up; reconnecting to re-create it');
      try {
        this.manager.reconnect();
      } catch (err) {
        this.logger.warn({ error: errorSummary(err) }, 'reconnect failed');
      }
    }, this.reconnectMs);
    timer.unref();
  }

  /** Closes every channel and the connection; unacked deliveries go back to their queues. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closed = true;
      this.closing = this.manager.close().then(
        () => this.logger.debug('connection closed'),
        (err: unknown) => this.logger.warn({ error: errorSummary(err) }, 'error while closing the connection'),
      );
    }
    return this.closing;
  }

  onApplicationShutdown(): Promise<void> {
    return this.close();
  }
}
