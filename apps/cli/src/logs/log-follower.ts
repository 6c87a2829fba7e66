import { CliError, ExitCode } from '../errors/exit-codes';
import type { ApiClient } from '../http/api-client';
import { parseSse } from './sse';

export type LogStream = 'stdout' | 'stderr';

export interface FollowEnd {
  /** The execution's final status, from the `end` event. */
  status: string;
  /** Bytes of log received. */
  bytes: number;
}

export interface FollowOptions {
  /** Gets each piece of log text as it arrives. */
  write: (text: string) => void | Promise<void>;
  signal?: AbortSignal;
  /** Reconnections allowed after the tail breaks off without its `end` event. */
  retries?: number;
  /** Wait before reconnecting (grows per failure). */
  retryDelayMs?: number;
}

/**
 * Follows `GET /api/v1/executions/{id}/logs/{stream}/stream` until its `end` event. A connection
 * that breaks off (a proxy timeout, an api restart) is resumed where it stopped with
 * `Last-Event-ID`, so no text is lost or repeated.
 */
export async function followLog(api: ApiClient, executionId: number, stream: LogStream, opts: FollowOptions): Promise<FollowEnd> {
  let offset: string | undefined;
  let failures = 0;
  const retries = opts.retries ?? 5;
  for (;;) {
    try {
      const res = await api.request('GET', `/api/v1/executions/${executionId}/logs/${stream}/stream`, {
        headers: { accept: 'text/event-stream', ...(offset ? { 'last-event-id': offset } : {}) },
        signal: opts.signal,
      });
      if (!res.body) throw new CliError('the log stream had no body');
      let resume = false;
      for await (const ev of parseSse(res.body as unknown as AsyncIterable<Uint8Array>)) {
        if (ev.event === 'reconnect') {
          // The server's limit on how long a tail stays open: resume at once where it stopped.
          resume = true;
          break;
        }
        if (ev.event === 'log') {
          const text = JSON.parse(ev.data) as string;
          await opts.write(text);
          if (ev.id) offset = ev.id;
          failures = 0;
        } else if (ev.event === 'end') {
          const end = JSON.parse(ev.data) as { status: string; bytes: number };
          return { status: end.status, bytes: end.bytes };
        }
      }
      if (resume) continue;
      throw new Error('the log stream ended before the execution did');
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      // Answers from the server (404, 401 after refresh, 403) are final; broken connections are not.
      if (err instanceof CliError && err.exitCode !== ExitCode.Unreachable) throw err;
      if (++failures > retries) {
        throw err instanceof CliError ? err : new CliError(`Lost the log stream of execution ${executionId}: ${(err as Error).message}`, ExitCode.Unreachable);
      }
      await new Promise((r) => setTimeout(r, (opts.retryDelayMs ?? 500) * failures));
    }
  }
}
