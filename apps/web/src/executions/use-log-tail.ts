import { useEffect, useState } from 'react';
import { ApiError, authFetch, toApiError } from '../api/client';
import { SseParser } from '../lib/sse';

export type LogStream = 'stdout' | 'stderr';
export type LogState = 'connecting' | 'live' | 'loading' | 'complete' | 'error';

export interface LogTail {
  text: string;
  state: LogState;
  error?: string;
  /** The log is longer than what is shown: only its end is kept. */
  total?: number;
}

/** The most of a log the page holds; beyond it only the end is kept (the full log is one click away). */
export const MAX_LOG_CHARS = 2 * 1024 * 1024;
const RECONNECT_MS = [500, 1000, 2000, 5000];
const INCOMPLETE_RETRY_MS = 1000;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/** The full log (its last MAX_LOG_CHARS bytes), waiting while the server says it is not complete yet. */
async function loadFull(path: string, signal: AbortSignal): Promise<{ text: string; total?: number }> {
  for (let attempt = 0; ; attempt++) {
    let res = await authFetch(path, { headers: { range: `bytes=-${MAX_LOG_CHARS}` }, signal });
    // 416: the log is empty so far (no byte range of it exists); ask without a range to learn whether it is complete.
    if (res.status === 416) res = await authFetch(path, { signal });
    if (!res.ok) throw await toApiError(res);
    const text = await res.text();
    if (res.headers.get('x-log-complete') === 'false' && attempt < 30) {
      await sleep(INCOMPLETE_RETRY_MS, signal);
      continue;
    }
    const total = Number(/\/(\d+)$/.exec(res.headers.get('content-range') ?? '')?.[1]);
    return { text, total: Number.isFinite(total) && res.status === 206 && total > MAX_LOG_CHARS ? total : undefined };
  }
}

/**
 * An execution's log. While it runs: the live SSE tail, read with fetch (EventSource cannot send
 * the Authorization header), resumed from the last byte offset after a dropped connection. Once
 * the tail's `end` event arrives, or for an execution that has already ended: the full log.
 */
export function useLogTail(executionId: number, stream: LogStream, live: boolean): LogTail {
  const [tail, setTail] = useState<LogTail>({ text: '', state: live ? 'connecting' : 'loading' });

  useEffect(() => {
    const ctrl = new AbortController();
    const { signal } = ctrl;
    const base = `/api/v1/executions/${executionId}/logs/${stream}`;

    const finish = async () => {
      setTail((t) => ({ ...t, state: t.text ? 'complete' : 'loading' }));
      const full = await loadFull(base, signal);
      if (!signal.aborted) setTail({ text: full.text, total: full.total, state: 'complete' });
    };

    const follow = async () => {
      let text = '';
      let lastId: string | undefined;
      let failures = 0;
      while (!signal.aborted) {
        let ended = false;
        try {
          const res = await authFetch(`${base}/stream`, {
            headers: { accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) },
            signal,
          });
          if (!res.ok || !res.body) throw await toApiError(res);
          setTail((t) => ({ ...t, state: 'live' }));
          const reader = res.body.getReader();
          const decoder = new TextDecoder();
          const parser = new SseParser();
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            let changed = false;
            for (const ev of parser.push(decoder.decode(value, { stream: true }))) {
              if (ev.event === 'log') {
                text += JSON.parse(ev.data) as string;
                if (text.length > MAX_LOG_CHARS) text = text.slice(text.length - MAX_LOG_CHARS);
                lastId = ev.id;
                changed = true;
                failures = 0;
              } else if (ev.event === 'end') {
                ended = true;
              }
            }
            if (changed) {
              const shown = text;
              setTail((t) => ({ ...t, text: shown }));
            }
          }
        } catch (err) {
          if (signal.aborted) return;
          // A client error will not go away by asking again (404, 403); the session's end is handled by authFetch.
          if (err instanceof ApiError && err.status < 500 && err.status !== 429) {
            setTail((t) => ({ ...t, state: 'error', error: err.message }));
            return;
          }
          failures++;
        }
        if (ended) return finish();
        if (signal.aborted) return;
        setTail((t) => ({ ...t, state: 'connecting' }));
        await sleep(RECONNECT_MS[Math.min(failures, RECONNECT_MS.length - 1)], signal);
      }
    };

    (live ? follow() : finish()).catch((err) => {
      if (!signal.aborted) setTail((t) => ({ ...t, state: 'error', error: err instanceof Error ? err.message : String(err) }));
    });
    return () => ctrl.abort();
    // `live` only picks how to start; a tail that sees the end switches to the full log by itself.
  }, [executionId, stream]);

  return tail;
}
