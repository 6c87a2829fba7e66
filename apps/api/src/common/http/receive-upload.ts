import { DomainError } from '@attune/contracts';
import { Logger } from '@nestjs/common';
import busboy from 'busboy';
import type { Request, Response } from 'express';
import { createHash, type Hash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Transform, type TransformCallback, type Readable } from 'node:stream';
import type { MultipartBody, MultipartSpec, RawBody, ReceivedUpload } from './upload';

const logger = new Logger('UploadReceiver');

/** Multipart framing around the file: what a Content-Length may exceed the limit by. */
export const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

/** A file part passed the receiver's maxBytes. */
export class UploadTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`the upload exceeds the limit of ${maxBytes} bytes`);
    this.name = 'UploadTooLargeError';
  }
}

function aborted(): DomainError {
  return new DomainError('BAD_REQUEST', 'the client closed the connection during the upload');
}

/** Counts (and with `hash`, hashes) what flows through; fails past `maxBytes`. */
class Meter extends Transform {
  bytes = 0;
  private readonly hash?: Hash;

  constructor(
    private readonly maxBytes: number,
    hash: boolean,
  ) {
    super();
    if (hash) this.hash = createHash('sha256');
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) return callback(new UploadTooLargeError(this.maxBytes));
    this.hash?.update(chunk);
    callback(null, chunk);
  }

  digest(): string | undefined {
    return this.hash?.digest('hex');
  }
}

/**
 * The api's one multipart receiver. The body is parsed as it arrives (busboy, never buffered
 * whole: multer, which Nest would use, buffers in memory by default); each file part goes
 * metered (and hashed) to what the service's `file()` does with it. Refusals are clean 4xx:
 * 400 for a body that is not multipart or cannot be read (a client gone mid-body included),
 * 413 past maxBytes (before reading, for a Content-Length that says so), and the service's own
 * DomainErrors (422) as they are. Resolves once the body is parsed and the file part stored.
 */
export function multipartBody(req: IncomingMessage): MultipartBody {
  return { receive: (spec) => receiveMultipart(req, spec) };
}

async function receiveMultipart<T>(req: IncomingMessage, spec: MultipartSpec<T>): Promise<ReceivedUpload<T>> {
  if (!/^multipart\/form-data\s*;/i.test(req.headers['content-type'] ?? '')) throw new DomainError('BAD_REQUEST', spec.notMultipart);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > spec.maxBytes + MULTIPART_OVERHEAD_BYTES) throw new DomainError('PAYLOAD_TOO_LARGE', spec.tooLarge);
  try {
    return await parse(req, spec);
  } catch (err) {
    if (err instanceof UploadTooLargeError) throw new DomainError('PAYLOAD_TOO_LARGE', spec.tooLarge);
    if (err instanceof DomainError) throw err;
    logger.warn({ url: req.url, err: (err as Error).message }, 'upload failed while receiving the body');
    throw new DomainError('BAD_REQUEST', `the upload could not be read: ${(err as Error).message}`);
  }
}

function parse<T>(req: IncomingMessage, spec: MultipartSpec<T>): Promise<ReceivedUpload<T>> {
  const received: ReceivedUpload<T> = { fields: {} };
  return new Promise<ReceivedUpload<T>>((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, limits: { fieldNameSize: 100, ...spec.limits, fileSize: spec.maxBytes + 1 } });
    } catch (err) {
      reject(new DomainError('BAD_REQUEST', `not a multipart body: ${(err as Error).message}`));
      return;
    }
    let settled = false;
    let parsing = true;
    let pending: Promise<void> | undefined;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      req.unpipe(bb);
      bb.removeAllListeners('file');
      bb.on('error', () => undefined);
      reject(err);
    };
    const finish = () => {
      if (settled || parsing) return;
      (pending ?? Promise.resolve()).then(() => {
        if (settled) return;
        settled = true;
        resolve(received);
      }, fail);
    };
    const limit = (what: 'fields' | 'files' | 'parts') => {
      const err = spec.limitReached?.(what);
      if (err) fail(err);
    };
    bb.on('field', (name, value: string) => {
      try {
        if (spec.field(name, value)) received.fields[name] = value;
      } catch (err) {
        fail(err);
      }
    });
    bb.on('fieldsLimit', () => limit('fields'));
    bb.on('filesLimit', () => limit('files'));
    bb.on('partsLimit', () => limit('parts'));
    bb.on('file', (field, stream: Readable, info) => {
      const meter = new Meter(spec.maxBytes, spec.hash ?? false);
      let storing: Promise<T> | undefined;
      try {
        storing = pending ? undefined : spec.file({ field, stream: stream.pipe(meter), mimeType: info.mimeType, fields: { ...received.fields } });
      } catch (err) {
        stream.unpipe(meter);
        stream.resume();
        fail(err);
        return;
      }
      if (!storing) {
        stream.unpipe(meter);
        stream.resume();
        return;
      }
      stream.on('error', (err: Error) => meter.destroy(err));
      // Past the limit the upload fails at once, whatever the consumer does with the stream's error
      // (other errors are the consumer's, and come with its promise).
      meter.on('error', (err) => {
        if (err instanceof UploadTooLargeError) fail(err);
      });
      pending = storing.then((stored) => {
        received.file = { field, mimeType: info.mimeType, size: meter.bytes, ...(spec.hash ? { sha256: meter.digest() } : {}), stored };
      });
      // A failing store (too large, storage down) ends the request at once, not when the body ends.
      pending.catch(fail);
    });
    bb.on('error', (err: Error) => fail(err));
    bb.on('close', () => {
      parsing = false;
      finish();
    });
    req.on('aborted', () => fail(aborted()));
    req.pipe(bb);
  });
}

/** The request's body as one raw blob (a log): its stream, failing with a 400 if the client goes away, and its trailers. */
export function rawBody(req: IncomingMessage): RawBody {
  const announced = String(req.headers.trailer ?? '')
    .toLowerCase()
    .split(',')
    .map((t) => t.trim());
  // The store reading the body sees the 400 as the stream's error; the listener keeps an abort
  // after it stopped reading from being an unhandled error.
  req.on('error', () => undefined);
  req.once('aborted', () => req.destroy(aborted()));
  return {
    stream: req,
    announcesTrailer: (name) => announced.includes(name.toLowerCase()),
    trailer: (name) => {
      const value = req.trailers[name.toLowerCase()];
      return value === undefined ? undefined : String(value);
    },
  };
}

/**
 * The most unread body a refused upload still lets the server drain, so that the connection stays
 * open and a client still sending (fetch sends the body after the headers) reads the answer rather
 * than a broken pipe. Past it, or when the length is not declared, the answer closes the connection.
 */
export const DRAIN_REFUSED_BODY_BYTES = 1024 * 1024;

/**
 * Runs an upload route's work; when it fails before the body was read to its end, a small rest is
 * drained (the answer then reaches a client still writing it), and a large or unknown one makes the
 * answer close the connection rather than have the server read what may be gigabytes.
 */
export async function closeUnlessRead<T>(req: Request, res: Response, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (!req.complete) {
      if (drainable(req)) {
        // Whatever read part of it has let go; the rest is read and dropped.
        req.unpipe();
        req.resume();
      } else res.setHeader('Connection', 'close');
    }
    throw err;
  }
}

function drainable(req: IncomingMessage): boolean {
  const declared = Number(req.headers['content-length']);
  return req.headers['content-length'] !== undefined && Number.isFinite(declared) && declared <= DRAIN_REFUSED_BODY_BYTES;
}
