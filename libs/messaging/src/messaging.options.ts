import type { Logger } from 'pino';

/** Options of MessagingModule: the publishing side of a service. */
export interface MessagingOptions {
  /** amqp URL, e.g. `amqp://guest:guest@127.0.0.1:5672`. */
  url: string;
  /** Prefix of every exchange and queue name: `attune` gives the exchange `attune.executions`. */
  namespace: string;
  /** The service name (`api`, `executor`…), used in the connection name and in logs. */
  service: string;
  /** publish() rejects when the broker has not confirmed the message within this time. Default 5000. */
  publishTimeoutMs?: number;
  logger?: Logger;
}

/**
 * The broker a service talks to, from its config (ATTUNE_AMQP_URL, ATTUNE_AMQP_NAMESPACE): the
 * options its MessagingModule and its AmqpServers share.
 */
export function busOptions(config: { amqpUrl: string; amqpNamespace: string }, service: string, logger: Logger): MessagingOptions & { logger: Logger } {
  return { url: config.amqpUrl, namespace: config.amqpNamespace, service, logger };
}

/** Options of AmqpServer: the consuming side of a service. */
export interface AmqpServerOptions {
  url: string;
  namespace: string;
  service: string;
  /** Short queue name; the real queue is `${namespace}.${queue}` and its DLQ `${namespace}.${queue}.dlq`. */
  queue: string;
  /** Channel prefetch: how many unacked messages this process holds (and handles concurrently) at most. */
  prefetch: number;
  /** Per handler pattern (message type), the routing keys to bind. Default: `[pattern]`. */
  routingKeys?: Record<string, string[]>;
  /**
   * Only these handler patterns are bound to this queue (default: every handler's). A service
   * may run several servers on queues of their own, so that a flood of one kind of message
   * (live log chunks) never delays another (commands).
   */
  only?: readonly string[];
  /** Handler patterns not bound to this queue (another server of the service takes them). */
  except?: readonly string[];
  /** Attempts of a message before it is dead-lettered, the first delivery included. Default 5. */
  maxAttempts?: number;
  /** Base retry delay; attempt n waits retryDelayMs * 2^(n-1), capped by maxRetryDelayMs. Default 500. */
  retryDelayMs?: number;
  /** Cap of the exponential retry delay. Default 30000. */
  maxRetryDelayMs?: number;
  /** close() waits this long for in-flight handlers before closing the channel. Default 30000. */
  drainTimeoutMs?: number;
  /** listen() fails when the queue is not consumed within this time (broker down, bad credentials). Default 30000. */
  startupTimeoutMs?: number;
  /** The retry copy of a failed message must be confirmed within this time. Default 5000. */
  publishTimeoutMs?: number;
  logger?: Logger;
}

export const MESSAGING_OPTIONS = Symbol('MESSAGING_OPTIONS');

export const DEFAULT_PUBLISH_TIMEOUT_MS = 5000;
export const DEFAULT_MAX_ATTEMPTS = 5;
export const DEFAULT_RETRY_DELAY_MS = 500;
export const DEFAULT_MAX_RETRY_DELAY_MS = 30_000;
export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;
export const DEFAULT_STARTUP_TIMEOUT_MS = 30_000;
/** Heartbeats let both sides notice a dead peer (half-open TCP) within about two intervals. */
export const HEARTBEAT_SECONDS = 10;
export const RECONNECT_SECONDS = 1;
