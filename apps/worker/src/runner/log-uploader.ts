import type { LogStreamName } from '@attune/contracts';
import type { Logger } from '@attune/service-kit';
import { createReadStream } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { type Answer, answerOf, writeChunk } from './http-body';

/** The bytes of a log to store: read in order; the totals are known once reading has ended. */
export interface LogSource {
  read(): AsyncIterable<Buffer>;
  final(): { totalBytes: number; truncated: boolean };
}

/** A finished spool file: its first `totalBytes` bytes. */
export function fileSource(path: string, summary: { totalBytes: number; truncated: boolean }): LogSource {
  return {
    read: () => createReadStream(path, { highWaterMark: 1024 * 1024, end: summary.totalBytes - 1 }) as AsyncIterable<Buffer>,
    final: () => summary,
  };
}

export interface LogUpload {
  apiUrl: string;
  executionId: number;
  stream: LogStreamName;
  /** The worker's log token for this attempt (never the action's token). */
  token: string;
  source: LogSource;
  /** Keep trying until then (epoch ms); the execution must end even when its log cannot be stored. */
  deadline: number;
  /** One attempt only (an early upload that falls back to the usual one). */
  once?: boolean;
  signal?: AbortSignal;
  logger: Logger;
}

/** Why a log could not be stored; the execution reports it. */
export class LogNotStoredError extends Error {}

/** What the api stored: its size and the SHA-256 it measured of the bytes as it stored them. */
function parseStored(body: string): { size_bytes: number; sha256: string } {
  const data = (JSON.parse(body) as { data?: { size_bytes?: unknown; sha256?: unknown } }).data;
  if (typeof data?.size_bytes !== 'number' || typeof data.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(data.sha256)) {
    throw new Error('the api answered 201 without the stored size and SHA-256');
  }
  return { size_bytes: data.size_bytes, sha256: data.sha256 };
}

/** Statuses worth another try: the api or artifact-store is restarting or overloaded. */
const RETRYABLE = new Set([408, 425, 429, 500, 502, 503, 504]);

/**
 * Stores a whole log through the api (`PUT /api/v1/executions/{id}/logs/{stream}`), streamed
 * from the spool file with its length as a trailer, which the api checks against what it stored
 * before it commits. The answer carries the SHA-256 the api measured while storing.
 * Retries with backoff while the platform is unreachable or restarting, until the deadline.
 * Answers the log's SHA-256.
 */
export async function uploadLog(u: LogUpload): Promise<string> {
  const url = new URL(`/api/v1/executions/${u.executionId}/logs/${u.stream}`, u.apiUrl);
  for (let attempt = 1; ; attempt++) {
    let failure: string;
    try {
      const answer = await put(url, u);
      if (answer.status === 201) {
        const stored = parseStored(answer.body);
        if (stored.size_bytes !== u.source.final().totalBytes) throw new LogNotStoredError(`the api stored ${stored.size_bytes} bytes of ${u.source.final().totalBytes}`);
        return stored.sha256;
      }
      failure = `the api answered ${answer.status}: ${summarize(answer.body)}`;
      if (!RETRYABLE.has(answer.status)) throw new LogNotStoredError(failure);
    } catch (err) {
      if (err instanceof LogNotStoredError) throw err;
      failure = (err as Error).message;
    }
    if (u.once) throw new LogNotStoredError(failure);
    const delay = Math.min(10_000, 250 * 2 ** Math.min(attempt, 6));
    if (Date.now() + delay > u.deadline) throw new LogNotStoredError(`${failure} (gave up after ${attempt} attempts)`);
    u.logger.warn({ stream: u.stream, attempt, err: failure, retry_in_ms: delay }, 'log not stored yet; retrying');
    await new Promise((r) => setTimeout(r, delay));
  }
}

function put(url: URL, u: LogUpload): Promise<Answer> {
  const idleMs = Math.max(1000, Math.min(120_000, u.deadline - Date.now()));
  return new Promise<Answer>((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${u.token}`,
        'content-type': 'application/octet-stream',
        // Chunked: the log may still be growing, and its size follows it as a trailer. The api
        // measures the SHA-256 as it stores the bytes and answers it: hashing here as well would
        // cost a second pass of CPU on the same machine for what TCP already checks.
        'transfer-encoding': 'chunked',
        trailer: 'X-Log-Size, X-Log-Truncated',
      },
      // An idle connection is given up at the deadline at the latest: the execution must end.
      timeout: idleMs,
      signal: u.signal,
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from the api within ${Math.round(idleMs / 1000)} s`)));
    req.on('error', reject);
    answerOf(req, resolve, reject);
    void (async () => {
      for await (const chunk of u.source.read()) {
        await writeChunk(req, chunk);
        if (req.destroyed) return;
      }
      const { totalBytes, truncated } = u.source.final();
      req.addTrailers({ 'X-Log-Size': String(totalBytes), 'X-Log-Truncated': String(truncated) });
      req.end();
    })().catch((err: Error) => req.destroy(err));
  });
}

function summarize(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: string };
    if (parsed.error) return parsed.error;
  } catch {
    // not JSON
  }
  return body.slice(0, 200);
}
