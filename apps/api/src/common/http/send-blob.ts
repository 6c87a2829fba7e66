import { DomainError } from '@attune/contracts';
import type { Request, Response } from 'express';
import { pipeline } from 'node:stream';
import { contentDisposition, type DownloadableBlob } from './blob';
import { parseRange } from './http-range';

function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  return !!ifNoneMatch && ifNoneMatch.split(',').some((t) => t.trim() === etag || t.trim() === `W/${etag}`);
}

/**
 * The api's one way to answer with a blob (artifact versions, pack archives, execution logs):
 * ETag and X-Checksum-Sha256 (the sha256, when known), 304 for a matching If-None-Match, one
 * `bytes=` Range (206, or 416 with `Content-Range: bytes *\/size`; If-Range with another ETag
 * gets the whole), Content-Type, Content-Length and Content-Disposition. The blob is opened
 * before anything is written, so its refusals are ordinary error answers; the bytes are then
 * piped with backpressure, and a stream that fails after the head cuts the answer short (never
 * a complete wrong body) and is reported to the blob's onStreamError.
 */
export async function sendBlob(req: Request, res: Response, blob: DownloadableBlob): Promise<void> {
  const { size } = blob;
  const etag = blob.sha256 ? `"${blob.sha256}"` : undefined;
  res.setHeader('Accept-Ranges', 'bytes');
  if (etag) {
    res.setHeader('ETag', etag);
    res.setHeader('X-Checksum-Sha256', blob.sha256 as string);
  }
  if (blob.fileName !== undefined) res.setHeader('Content-Disposition', contentDisposition(blob.fileName));
  for (const [name, value] of Object.entries(blob.headers ?? {})) res.setHeader(name, value);
  if (etag && matches(req.headers['if-none-match'], etag)) {
    res.status(304).end();
    return;
  }
  const ifRange = req.headers['if-range'];
  const range = ifRange && ifRange !== etag ? ({ kind: 'none' } as const) : parseRange(req.headers.range, size);
  if (range.kind === 'unsatisfiable') {
    res.setHeader('Content-Range', `bytes */${size}`);
    throw new DomainError('RANGE_NOT_SATISFIABLE', `range ${req.headers.range} is not satisfiable for ${size} bytes`);
  }
  const partial = range.kind === 'range';
  const body = await blob.open(partial ? { start: range.start, end: range.end } : undefined);
  res.status(partial ? 206 : 200);
  res.setHeader('Content-Type', blob.contentType);
  res.setHeader('Content-Length', String(partial ? range.end - range.start + 1 : size));
  if (partial) res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
  await new Promise<void>((resolve) => {
    pipeline(body, res, (err) => {
      // pipeline() destroyed the response on error: the client sees a truncated body.
      if (err && (err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') blob.onStreamError?.(err);
      resolve();
    });
  });
}
