import type { ArtifactType, RetentionPolicy } from '@attune/contracts';
import { createHash, randomBytes } from 'node:crypto';
import { hashingTap } from '../common/hashing-tap';
import { createWriteStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Answer, answerOf, writeChunk } from '../runner/http-body';

/**
 * The worker's calls to the api about one execution's artifacts, made with that execution's
 * token (what the action itself could do, nothing more). Bytes stream both ways: nothing is
 * held in memory whatever the size.
 */

/** An answer worth another try: the api or artifact-store is restarting or overloaded. */
export class RetryableApiError extends Error {}

const RETRYABLE = new Set([408, 425, 429, 500, 502, 503, 504]);

export interface RemoteArtifact {
  id: number;
  ref: string;
  name: string | null;
  execution: number | null;
  task_name: string | null;
  latest_version: number | null;
  /** For kept files `{path}`: where the producer kept it, relative to its work directory. */
  data: unknown;
  created: string;
}

export interface StoredVersion {
  version: number;
  size_bytes: number;
  sha256: string;
}

export interface NewArtifact {
  ref: string;
  type: ArtifactType;
  name: string;
  owner: string;
  content_type: string;
  retention_policy?: RetentionPolicy;
  retention_limit?: number;
  data?: unknown;
}

function failure(what: string, status: number, body: string): Error {
  let message = body.slice(0, 300);
  try {
    message = (JSON.parse(body) as { error?: string }).error ?? message;
  } catch {
    // not JSON
  }
  const text = `${what}: the api answered ${status}: ${message}`;
  return RETRYABLE.has(status) ? new RetryableApiError(text) : new Error(text);
}

async function call<T>(apiUrl: string, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; data?: T; text: string }> {
  let res: Response;
  try {
    res = await fetch(new URL(path, apiUrl), {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    throw new RetryableApiError(`${method} ${path}: ${(err as Error).message}`);
  }
  const text = await res.text();
  let data: T | undefined;
  try {
    data = (JSON.parse(text) as { data?: T }).data;
  } catch {
    data = undefined;
  }
  return { status: res.status, data, text };
}

/** The artifact for `ref`, created when it does not exist yet (a re-dispatched run finds its own). */
export async function ensureArtifact(apiUrl: string, token: string, a: NewArtifact): Promise<RemoteArtifact> {
  const created = await call<RemoteArtifact>(apiUrl, token, 'POST', '/api/v1/artifacts', { ...a, scope: 'action' });
  if (created.status === 201 && created.data) return created.data;
  if (created.status === 409) {
    const found = await call<RemoteArtifact>(apiUrl, token, 'GET', `/api/v1/artifacts/ref/${encodeURIComponent(a.ref)}`);
    if (found.status === 200 && found.data) return found.data;
    throw failure(`artifact "${a.ref}"`, found.status, found.text);
  }
  throw failure(`creating artifact "${a.ref}"`, created.status, created.text);
}

/** Every artifact of a workflow run (optionally of one task), oldest first. */
export async function listRunArtifacts(apiUrl: string, token: string, run: number, task?: string): Promise<RemoteArtifact[]> {
  const out: RemoteArtifact[] = [];
  for (let page = 1; page <= 100; page++) {
    const q = new URLSearchParams({ workflow_execution: String(run), page: String(page), per_page: '100' });
    if (task) q.set('task', task);
    const res = await call<RemoteArtifact[]>(apiUrl, token, 'GET', `/api/v1/artifacts?${q}`);
    if (res.status !== 200 || !res.data) throw failure(`listing the artifacts of run ${run}`, res.status, res.text);
    out.push(...res.data);
    if (res.data.length < 100) break;
  }
  return out.reverse();
}

/** The newest version of an artifact. */
export async function latestVersion(apiUrl: string, token: string, artifactId: number): Promise<StoredVersion | undefined> {
  const res = await call<StoredVersion>(apiUrl, token, 'GET', `/api/v1/artifacts/${artifactId}/versions/latest`);
  if (res.status === 404) return undefined;
  if (res.status !== 200 || !res.data) throw failure(`artifact ${artifactId}`, res.status, res.text);
  return res.data;
}

/**
 * Uploads an open file as the next version of an artifact: a multipart body generated as it is
 * sent, with `size` (and `compress` when asked) before the file so the api stores it in one
 * write of known length. The file is hashed on the way; the api's recorded size and SHA-256 must
 * be what was sent.
 */
export async function uploadVersion(
  apiUrl: string,
  token: string,
  artifactId: number,
  file: { handle: FileHandle; size: number; name: string; contentType: string },
  compress: boolean,
): Promise<StoredVersion> {
  const boundary = `attune-${randomBytes(12).toString('hex')}`;
  const field = (name: string, value: string) => `--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const safeName = file.name.replace(/["\r\n\\]/g, '_');
  const head = Buffer.from(
    field('size', String(file.size)) +
      (compress ? field('compress', 'gzip') : '') +
      `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${safeName}"\r\ncontent-type: ${file.contentType}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const hash = createHash('sha256');
  let sent = 0;
  const url = new URL(`/api/v1/artifacts/${artifactId}/versions/upload`, apiUrl);
  const answer = await new Promise<Answer>((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(head.length + file.size + tail.length),
      },
      timeout: 300_000,
    });
    req.on('timeout', () => req.destroy(new RetryableApiError('no answer from the api within 300 s')));
    req.on('error', (err) => reject(err instanceof RetryableApiError ? err : new RetryableApiError(err.message)));
    answerOf(req, resolve, reject);
    void (async () => {
      const write = (chunk: Buffer) => writeChunk(req, chunk);
      await write(head);
      // Exactly the size announced: a file that grew since is cut there, one that shrank fails at the api.
      for await (const chunk of file.handle.createReadStream({ start: 0, end: Math.max(0, file.size - 1), highWaterMark: 1024 * 1024, autoClose: false })) {
        if (file.size === 0) break;
        hash.update(chunk as Buffer);
        sent += (chunk as Buffer).length;
        await write(chunk as Buffer);
        if (req.destroyed) return;
      }
      if (sent !== file.size) throw new Error(`${file.name} shrank from ${file.size} to ${sent} bytes while it was being stored`);
      req.end(tail);
    })().catch((err: Error) => req.destroy(err));
  });
  if (answer.status !== 201) throw failure(`uploading ${file.name}`, answer.status, answer.body);
  const stored = (JSON.parse(answer.body) as { data: StoredVersion }).data;
  const sha256 = hash.digest('hex');
  if (stored.size_bytes !== sent || stored.sha256 !== sha256) {
    throw new Error(`uploading ${file.name}: the api stored ${stored.size_bytes} bytes with SHA-256 ${stored.sha256}, not the ${sent} bytes with ${sha256} sent`);
  }
  return stored;
}

/** Why a download was refused: the bytes are not what the version records. */
export class ChecksumError extends Error {}

/**
 * Streams one version to `target` (created exclusively, mode 0600), hashing it on the way.
 * With `verify`, the bytes must hash to the version's SHA-256 (and the api's X-Checksum-Sha256).
 */
export async function downloadVersion(
  apiUrl: string,
  token: string,
  artifactId: number,
  version: StoredVersion,
  target: string,
  verify: boolean,
): Promise<void> {
  const path = `/api/v1/artifacts/${artifactId}/versions/${version.version}/download`;
  let res: Response;
  try {
    res = await fetch(new URL(path, apiUrl), { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(3_600_000) });
  } catch (err) {
    throw new RetryableApiError(`GET ${path}: ${(err as Error).message}`);
  }
  if (res.status !== 200 || !res.body) {
    const text = await res.text().catch(() => '');
    // Content the api finds corrupt is refused with 503 CORRUPT_CONTENT: trying again will not help.
    if (/CORRUPT_CONTENT|checksum/i.test(text)) throw new ChecksumError(`the stored content is corrupt (the api answered ${res.status})`);
    throw failure(`downloading version ${version.version}`, res.status, text);
  }
  const announced = res.headers.get('x-checksum-sha256')?.toLowerCase();
  const tap = hashingTap();
  try {
    await pipeline(Readable.fromWeb(res.body as never), tap.stream, createWriteStream(target, { flags: 'wx', mode: 0o600 }));
  } catch (err) {
    // A body cut short is how the api stops a big download whose bytes do not hash right.
    if (verify) throw new ChecksumError(`the download broke off after ${tap.bytes} bytes (${(err as Error).message})`);
    throw new RetryableApiError(`downloading version ${version.version}: ${(err as Error).message}`);
  }
  const actual = tap.sha256();
  if (verify && (actual !== version.sha256 || (announced !== undefined && announced !== version.sha256) || tap.bytes !== version.size_bytes)) {
    throw new ChecksumError(`its SHA-256 is ${actual} (${tap.bytes} bytes), not ${version.sha256} (${version.size_bytes} bytes) as recorded`);
  }
}
