import { DomainError, ERROR_CODES, type ErrorCode, isDatabaseUnavailable } from '@attune/contracts';
import { randomUUID } from 'node:crypto';

/**
 * The pseudo-queue of RabbitMQ's direct reply-to: a requester consumes it (no-ack) on the channel
 * it publishes requests on, and the broker routes replies straight to that channel, with no
 * queue to declare or delete.
 */
export const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to';

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/** The body of a reply. A failure names a stable code so the caller can translate it (e.g. to HTTP). */
export type ReplyBody =
  | { ok: true; data: unknown }
  | { ok: false; error: { code: string; message: string; details?: unknown; error_id?: string } };

/** The request was not answered within its timeout. It may still be handled later, or may have been. */
export class RequestTimeoutError extends Error {
  readonly code = 'REQUEST_TIMEOUT';
  constructor(
    readonly type: string,
    readonly timeoutMs: number,
    readonly messageId: string,
  ) {
    super(`no reply to ${type} (message_id ${messageId}) within ${timeoutMs} ms`);
    this.name = 'RequestTimeoutError';
  }
}

/** No queue is bound for the request's type: its consumer never started on this namespace. */
export class RequestUnroutableError extends Error {
  readonly code = 'REQUEST_UNROUTABLE';
  constructor(
    readonly type: string,
    readonly messageId: string,
  ) {
    super(`no consumer is bound for ${type} (message_id ${messageId})`);
    this.name = 'RequestUnroutableError';
  }
}

/**
 * The handler failed with something that is not a DomainError. The message is the consumer's
 * generic one (with an error id to find its log line), never the original error's text.
 */
export class RemoteHandlerError extends Error {
  constructor(
    readonly type: string,
    readonly code: string,
    message: string,
    readonly errorId?: string,
  ) {
    super(message);
    this.name = 'RemoteHandlerError';
  }
}

function isDomainError(err: unknown): err is DomainError {
  // The name check covers a second copy of the contracts module (two bundles in one process).
  return err instanceof DomainError || (err instanceof Error && err.name === 'DomainError' && 'code' in err);
}

function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, code);
}

/**
 * The reply for a handler failure. A DomainError keeps its code, message and details (they are
 * meant for the caller); anything else becomes INTERNAL_ERROR with an id only, logged by the
 * consumer under that id.
 */
export function failureReply(err: unknown): { body: ReplyBody; errorId?: string } {
  if (isDomainError(err) && isErrorCode(err.code)) {
    return {
      body: { ok: false, error: { code: err.code, message: err.message, ...(err.details !== undefined ? { details: err.details } : {}) } },
    };
  }
  // The responder's database is down: the requester answers 503, as it would for its own.
  if (isDatabaseUnavailable(err)) {
    return { body: { ok: false, error: { code: 'SERVICE_UNAVAILABLE', message: 'the database is unavailable; try again shortly' } } };
  }
  const errorId = randomUUID();
  return { body: { ok: false, error: { code: 'INTERNAL_ERROR', message: `internal error (id ${errorId})`, error_id: errorId } }, errorId };
}

/** Turns a received reply into the value, or the error to reject with. */
export function interpretReply(type: string, content: Buffer): { ok: true; value: unknown } | { ok: false; error: Error } {
  let body: ReplyBody;
  try {
    body = JSON.parse(content.toString('utf8')) as ReplyBody;
  } catch {
    return { ok: false, error: new RemoteHandlerError(type, 'INTERNAL_ERROR', `reply to ${type} is not JSON`) };
  }
  if (body && body.ok === true) return { ok: true, value: body.data };
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown; error_id?: unknown } } | null)?.error;
  const message = typeof error?.message === 'string' ? error.message : `request ${type} failed`;
  if (error && isErrorCode(error.code) && error.code !== 'INTERNAL_ERROR') {
    return { ok: false, error: new DomainError(error.code, message, error.details) };
  }
  return {
    ok: false,
    error: new RemoteHandlerError(
      type,
      typeof error?.code === 'string' ? error.code : 'INTERNAL_ERROR',
      message,
      typeof error?.error_id === 'string' ? error.error_id : undefined,
    ),
  };
}
