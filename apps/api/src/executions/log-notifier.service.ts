import { LOG_NOTIFY_CHANNEL } from '@attune/persistence';
import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Client } from 'pg';
import { ApiConfig } from '../config/api.config';

/**
 * The one source of "this execution's log moved on" for every live tail in this process: a
 * single Postgres LISTEN connection on the channel artifact-store notifies when it stores a live
 * chunk or a whole log. Followers wait here instead of polling the database per stream; a
 * fallback timeout covers what sends no notification (the status turning terminal, a lost
 * connection) so that a follower is never stuck.
 */
@Injectable()
export class LogNotifier implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(LogNotifier.name);
  private readonly waiters = new Map<number, Set<() => void>>();
  private client?: Client;
  private closing = false;
  private reconnectTimer?: NodeJS.Timeout;

  constructor(private readonly config: ApiConfig) {}

  onModuleInit(): void {
    void this.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    clearTimeout(this.reconnectTimer);
    for (const set of this.waiters.values()) for (const wake of set) wake();
    await this.client?.end().catch(() => undefined);
  }

  /** Followers waiting now, over all executions. */
  get followers(): number {
    let n = 0;
    for (const set of this.waiters.values()) n += set.size;
    return n;
  }

  /** Resolves on the next notification for the execution, or after `fallbackMs`, or when `signal` aborts. */
  wait(executionId: number, fallbackMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      let set = this.waiters.get(executionId);
      if (!set) this.waiters.set(executionId, (set = new Set()));
      const waiters = set;
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        waiters.delete(done);
        if (waiters.size === 0 && this.waiters.get(executionId) === waiters) this.waiters.delete(executionId);
        resolve();
      };
      const timer = setTimeout(done, fallbackMs);
      signal?.addEventListener('abort', done, { once: true });
      waiters.add(done);
    });
  }

  private async connect(): Promise<void> {
    if (this.closing) return;
    const client = new Client({ connectionString: this.config.databaseUrl, application_name: 'attune-api-log-notifier' });
    client.on('notification', (msg) => {
      const id = Number(msg.payload);
      const set = this.waiters.get(id);
      if (set) for (const wake of [...set]) wake();
    });
    client.on('error', (err) => {
      this.logger.warn({ err: err.message }, 'log notification connection lost; followers poll until it is back');
      this.scheduleReconnect(client);
    });
    client.on('end', () => this.scheduleReconnect(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${LOG_NOTIFY_CHANNEL}`);
      this.client = client;
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'cannot listen for log notifications yet; followers poll meanwhile');
      this.scheduleReconnect(client);
    }
  }

  private scheduleReconnect(client: Client): void {
    if (this.closing || this.reconnectTimer) return;
    if (this.client === client) this.client = undefined;
    client.removeAllListeners('end');
    void client.end().catch(() => undefined);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, 2000);
  }
}
