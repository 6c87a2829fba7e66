import { DomainError } from '@attune/contracts';

/** 429 with a `Retry-After` header (whole seconds, at least 1), written by ApiExceptionFilter. */
export class TooManyRequestsError extends DomainError {
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterMs: number) {
    super('TOO_MANY_REQUESTS', message);
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  }
}
