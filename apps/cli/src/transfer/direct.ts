import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { ApiClient } from '../http/api-client';
import { CliError, ExitCode } from '../errors/exit-codes';
import type { HashingFileSource } from './upload';

/**
 * Direct transfers: when the server stores artifacts on S3 it offers presigned URLs, and the
 * bytes go between this machine and the bucket without passing through the api. Every byte is
 * still verified here (the SHA-256 of what was sent or received against the version's record).
 * When the server does not offer them (the fs driver, an older server) or the bucket cannot be
 * reached, the proxied routes are used instead.
 */

interface DirectUpload {
  upload_id: string;
  method: 'PUT';
  url: string;
  headers: Record<string, string>;
  expires_at: string;
  commit_url: string;
}

/** The SHA-256 of a file, read once before a direct upload (the URL is signed for it). */
export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
}

/**
 * The server takes no direct upload of this file: none at all (409 DIRECT_TRANSFER_UNAVAILABLE),
 * not of this size (413 naming the proxied route in `details.upload`), or it has no such route
 * (an older server).
 */
function notOffered(err: unknown): boolean {
  if (!(err instanceof CliError)) return false;
  const details = err.details as { reason?: unknown; upload?: unknown } | undefined;
  return details?.reason === 'DIRECT_TRANSFER_UNAVAILABLE' || typeof details?.upload === 'string' || err.exitCode === ExitCode.NotFound || /HTTP 405/.test(err.message);
}

/**
 * `fallback`: why the proxied upload should be used instead; `offered` says the server offered
 * the direct path (so falling back is worth a note); `sha256` is the file's, measured already.
 */
export type DirectUploadOutcome<V> = { version: V } | { fallback: string; offered: boolean; sha256: string };

/**
 * Uploads `source` as a new version of artifact `id` straight into the bucket: a presigned PUT
 * carrying the size and SHA-256 the URL was signed for, then the commit, which the server
 * verifies before the version exists. Answers `{fallback: why}` when the proxied upload should be
 * used instead (nothing was committed then); a refused commit is an error.
 */
export async function uploadDirect<V extends { sha256: string; size_bytes: number }>(
  api: ApiClient,
  id: number,
  source: HashingFileSource,
  meta: { contentType?: string; execution?: number },
  fetchImpl: typeof fetch = fetch,
): Promise<DirectUploadOutcome<V>> {
  const sha256 = await sha256OfFile(source.path);
  let ticket: DirectUpload;
  try {
    ticket = await api.data<DirectUpload>('POST', `/api/v1/artifacts/${id}/versions/upload-url`, {
      json: { size: source.size, sha256, ...(meta.contentType ? { content_type: meta.contentType } : {}), ...(meta.execution ? { execution: meta.execution } : {}) },
    });
  } catch (err) {
    if (notOffered(err)) return { fallback: 'the server offers no direct upload', offered: false, sha256 };
    throw err;
  }
  let put: Response;
  try {
    put = await fetchImpl(ticket.url, {
      method: 'PUT',
      headers: ticket.headers,
      body: source.content() as unknown as RequestInit['body'],
      duplex: 'half',
      redirect: 'error',
    } as RequestInit & { duplex: 'half' });
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    if (cause instanceof CliError) throw cause;
    return { fallback: `the bucket could not be reached (${(cause as Error)?.message ?? (err as Error).message})`, offered: true, sha256 };
  }
  if (!put.ok) {
    const text = await put.text().catch(() => '');
    const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
    return { fallback: `the bucket answered the upload with HTTP ${put.status}${code ? ` ${code}` : ''}`, offered: true, sha256 };
  }
  // What went out must be what the URL was signed for (the file may have changed since it was hashed).
  source.verify(sha256, source.size);
  const version = await api.data<V>('POST', ticket.commit_url, { json: { upload_id: ticket.upload_id } });
  if (version.sha256 !== sha256 || version.size_bytes !== source.size) {
    throw new CliError(`The server recorded ${version.size_bytes} bytes with SHA-256 ${version.sha256}, but ${source.size} bytes with SHA-256 ${sha256} were sent.`, ExitCode.Checksum);
  }
  return { version };
}

/**
 * Opens a download: asks for a redirect to the bucket (`?redirect=true`) and follows it without
 * the api's credentials; falls back to the bytes through the api when none is offered or the
 * bucket does not answer. `direct` says which path the bytes come by.
 */
export async function openDownload(api: ApiClient, path: string, fetchImpl: typeof fetch = fetch): Promise<{ response: Response; direct: boolean }> {
  const first = await api.request('GET', path, { query: { redirect: 'true' }, headers: { accept: '*/*' }, redirect: 'manual' });
  const location = first.status >= 300 && first.status < 400 ? first.headers.get('location') : null;
  if (!location) return { response: first, direct: false };
  await first.body?.cancel().catch(() => undefined);
  try {
    const response = await fetchImpl(location, { redirect: 'error' });
    if (response.ok) {
      // The bucket sends no X-Checksum-Sha256: carry the api's over, for the check against the version's record.
      const checksum = first.headers.get('x-checksum-sha256');
      if (checksum && !response.headers.get('x-checksum-sha256')) {
        const headers = new Headers(response.headers);
        headers.set('x-checksum-sha256', checksum);
        return { response: new Response(response.body, { status: response.status, headers }), direct: true };
      }
      return { response, direct: true };
    }
    await response.body?.cancel().catch(() => undefined);
  } catch {
    /* the bucket cannot be reached from here: the api serves the bytes */
  }
  return { response: await api.request('GET', path, { headers: { accept: '*/*' } }), direct: false };
}
