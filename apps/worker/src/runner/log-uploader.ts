import type { LogStreamName } from '@attune/contracts';
import type { Logger } from '@attune/service-kit';
import { createReadStream } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LogSummary } from './log-spool';

export interface LogUpload {
  apiUrl: string;
  executionId: number;
  stream: LogStreamName;
  /** The worker's log token for this attempt (never the action's token). */
  token: string;
  path: string;
  summary: LogSummary;
  /** Keep trying until then (epoch ms); the execution must end even when its log cannot be stored. */
  deadline: number;
  logger: Logger;
}

/** Why a log could not be stored; the execution reports it. */
export class LogNotStoredError extends Error {}

interface Answer {
  status: number;
  body: string;
}

/** Statuses worth another try: the api or artifact-store is restarting or overloaded. */
const RETRYABLE = new Set([408, 425, 429, 500, 502, 503, 504]);

/**
 * Stores a whole log through the api (`PUT /api/v1/executions/{id}/logs/{stream}`), streamed
 * from the spool file with its length and SHA-256, so the api checks every byte. Retries with
 * backoff while the platform is unreachable or restarting, until the deadline.
 */
export async function uploadLog(u: LogUpload): Promise<void> {
  const url = new URL(`/api/v1/executions/${u.executionId}/logs/${u.stream}`, u.apiUrl);
  for (let attempt = 1; ; attempt++) {
    let failure: string;
    try {
      const answer = await put(url, u);
      if (answer.status === 201) return;
      failure = `the api answered ${answer.status}: ${summarize(answer.body)}`;
      if (!RETRYABLE.has(answer.status)) throw new LogNotStoredError(failure);
    } catch (err) {
      if (err instanceof LogNotStoredError) throw err;
      failure = (err as Error).message;
    }
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
        'content-length': String(u.summary.totalBytes),
        'x-checksum-sha256': u.summary.sha256,
        'x-log-truncated': String(u.summary.truncated),
      },
      // An idle connection is given up at the deadline at the latest: the execution must end.
      timeout: idleMs,
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from the api within ${Math.round(idleMs / 1000)} s`)));
    req.on('error', reject);
    req.on('response', (res) => {
      const parts: Buffer[] = [];
      res.on('data', (b: Buffer) => parts.length < 64 && parts.push(b));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }));
      res.on('error', reject);
    });
    const file = createReadStream(u.path, { highWaterMark: 512 * 1024 });
    file.on('error', (err) => req.destroy(err));
    file.pipe(req);
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
