import { isDatabaseUnavailable } from '@attune/contracts';
import pg from 'pg';

/**
 * node-postgres with a pool that rides over a database restart: taking a connection that fails
 * because the server cannot be reached (refused, starting up, shutting down) is tried again for up
 * to `retryMs`, with short growing pauses. Only the connect is repeated, never a query, so nothing
 * can run twice: a query cut off mid-flight fails as it would (the api answers 503 for it).
 * TypeORM takes the module as its `driver` option; every service's pool is made here.
 */
export interface RetryingPool extends pg.Pool {
  /** One connect without retries (health checks must answer at once). */
  connectOnce(): Promise<pg.PoolClient>;
}

type ConnectCallback = (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void;

export function retryingPg(retryMs: number): typeof pg {
  class Pool extends pg.Pool {
    connectOnce(): Promise<pg.PoolClient> {
      return super.connect();
    }

    // Both forms of pg's connect: TypeORM uses the callback, others the promise.
    override connect(): Promise<pg.PoolClient>;
    override connect(callback: ConnectCallback): void;
    override connect(callback?: ConnectCallback): Promise<pg.PoolClient> | void {
      const attempt = this.connectRetrying();
      if (!callback) return attempt;
      attempt.then(
        (client) => callback(undefined, client, (release) => client.release(release as Error | boolean | undefined)),
        (err: Error) => callback(err, undefined, () => undefined),
      );
    }

    private async connectRetrying(): Promise<pg.PoolClient> {
      const deadline = Date.now() + retryMs;
      for (let pause = 50; ; pause = Math.min(pause * 2, 500)) {
        try {
          return await super.connect();
        } catch (err) {
          if (!isDatabaseUnavailable(err) || Date.now() + pause > deadline) throw err;
          await new Promise((r) => setTimeout(r, pause));
        }
      }
    }
  }
  // The module's other members (types, Client…) unchanged; the lazy `native` getter is not touched.
  return Object.assign(Object.create(pg) as typeof pg, { Pool });
}
