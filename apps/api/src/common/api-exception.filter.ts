import { DomainError, ERROR_CODES, type ErrorCode, isDatabaseUnavailable } from '@attune/contracts';
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Response } from 'express';

const STATUS_CODES: Record<number, ErrorCode> = Object.fromEntries(
  Object.entries(ERROR_CODES).map(([code, status]) => [status, code as ErrorCode]),
);

/** Retry-After of a 503 while the database cannot be reached: a restart takes about this long. */
export const DATABASE_RETRY_AFTER_SECONDS = 2;

interface ErrorBody {
  error: string;
  code: ErrorCode;
  details?: unknown;
}

/**
 * The one place where failures become HTTP answers: every error leaves as
 * `{error, code, details?}`. Unknown errors are logged once with an id and answered as a 500
 * that leaks nothing but that id.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ApiExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const { status, body } = this.translate(exception);
    if (res.headersSent) {
      res.end();
      return;
    }
    const retryAfter = isDatabaseUnavailable(exception)
      ? DATABASE_RETRY_AFTER_SECONDS
      : (exception as { retryAfterSeconds?: unknown } | null)?.retryAfterSeconds;
    if (typeof retryAfter === 'number') res.setHeader('Retry-After', String(retryAfter));
    res.status(status).json(body);
  }

  private translate(exception: unknown): { status: number; body: ErrorBody } {
    if (exception instanceof DomainError) {
      const body: ErrorBody = { error: exception.message, code: exception.code };
      if (exception.details !== undefined) body.details = exception.details;
      return { status: ERROR_CODES[exception.code], body };
    }
    // body-parser errors (malformed JSON, too large, bad encoding) carry a status and a type.
    const parserError = exception as { type?: string; status?: number; expose?: boolean; message?: string };
    if (parserError && typeof parserError.type === 'string' && typeof parserError.status === 'number' && parserError.expose) {
      const status = parserError.status;
      const message = parserError.type === 'entity.parse.failed' ? 'request body is not valid JSON' : parserError.message ?? 'bad request';
      return { status, body: { error: message, code: STATUS_CODES[status] ?? 'BAD_REQUEST' } };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      const message =
        typeof response === 'string'
          ? response
          : Array.isArray((response as { message?: unknown }).message)
            ? ((response as { message: string[] }).message).join('; ')
            : String((response as { message?: unknown }).message ?? exception.message);
      const code = STATUS_CODES[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST');
      if (status >= 500) this.logger.error({ err: exception }, message);
      return { status, body: { error: message, code } };
    }
    // Postgres unreachable or restarting (after the pool's own retries): temporary, not a fault of
    // this request nor an internal error. Nothing about the database is leaked.
    if (isDatabaseUnavailable(exception)) {
      this.logger.warn({ err: (exception as Error).message }, 'database unavailable; answered 503');
      return { status: HttpStatus.SERVICE_UNAVAILABLE, body: { error: 'the database is unavailable; try again shortly', code: 'SERVICE_UNAVAILABLE' } };
    }
    const errorId = randomUUID();
    this.logger.error({ err: exception, error_id: errorId }, 'unhandled error');
    return {
      status: HttpStatus.INTERNAL_SERVER_ERROR,
      body: { error: `internal error (id ${errorId})`, code: 'INTERNAL_ERROR' },
    };
  }
}
