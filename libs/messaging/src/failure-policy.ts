import { DomainError, ERROR_CODES, type ErrorCode, isDatabaseUnavailable } from '@attune/contracts';
import { PermanentMessageError } from './permanent-message.error';

/** Domain error codes that no retry can fix: the message is dead-lettered at once. */
export const PERMANENT_ERROR_CODES: readonly ErrorCode[] = ['BAD_REQUEST', 'NOT_FOUND', 'VALIDATION_ERROR'];
const PERMANENT_STATUSES = PERMANENT_ERROR_CODES.map((c) => ERROR_CODES[c]);

/**
 * `wait`: a dependency is down (the database cannot be reached). The message is not at fault, so
 * it is tried again after a pause without spending one of its attempts: an outage of any length
 * delays messages and never dead-letters them.
 */
export type FailureVerdict =
  | { action: 'dead-letter'; reason: string }
  | { action: 'retry'; reason: string }
  | { action: 'wait'; reason: string };

function isDomainError(err: unknown): err is DomainError {
  // The name check covers a second copy of the contracts module (two bundles in one process).
  return err instanceof DomainError || (err instanceof Error && err.name === 'DomainError' && 'code' in err);
}

function httpStatusOf(err: unknown): number | undefined {
  // Nest's HttpException (e.g. BadRequestException from a ValidationPipe) without importing
  // @nestjs/common's class: it is recognised by its getStatus().
  const getStatus = (err as { getStatus?: unknown } | null)?.getStatus;
  if (typeof getStatus !== 'function') return undefined;
  const status = (getStatus as () => unknown).call(err);
  return typeof status === 'number' ? status : undefined;
}

/** Decides what a handler failure means: dead-letter now, or retry (while attempts remain). */
export function classifyFailure(err: unknown): FailureVerdict {
  if (err instanceof PermanentMessageError || (err instanceof Error && err.name === 'PermanentMessageError')) {
    return { action: 'dead-letter', reason: 'PermanentMessageError' };
  }
  if (isDatabaseUnavailable(err)) return { action: 'wait', reason: 'database unavailable' };
  if (isDomainError(err)) {
    return PERMANENT_ERROR_CODES.includes(err.code)
      ? { action: 'dead-letter', reason: `DomainError ${err.code}` }
      : { action: 'retry', reason: `DomainError ${err.code}` };
  }
  const status = httpStatusOf(err);
  if (status !== undefined && PERMANENT_STATUSES.includes(status as (typeof PERMANENT_STATUSES)[number])) {
    return { action: 'dead-letter', reason: `HTTP ${status}` };
  }
  return { action: 'retry', reason: err instanceof Error ? err.name : 'unknown error' };
}

/** Delay before attempt `attempt + 1`, after attempt `attempt` (1-based) failed. */
export function retryDelay(attempt: number, baseMs: number, capMs: number): number {
  const exp = Math.max(0, attempt - 1);
  return Math.min(capMs, Math.round(baseMs * 2 ** Math.min(exp, 30)));
}
