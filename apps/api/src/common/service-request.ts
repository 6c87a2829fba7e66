import { DomainError } from '@attune/contracts';
import { type MessagePublisher, RemoteHandlerError, RequestTimeoutError, RequestUnroutableError } from '@attune/messaging';
import type { Logger } from '@nestjs/common';

/**
 * A request/reply to another service, its failures translated for the HTTP edge: no answer in
 * time (or nobody consuming) is a 503 naming `service`, an internal error there stays internal
 * (with its id), a DomainError keeps its code.
 */
export async function requestService<T>(
  publisher: MessagePublisher,
  service: string,
  type: string,
  payload: object,
  opts: { timeoutMs: number; correlationId?: string; logger?: Logger },
): Promise<T> {
  try {
    return await publisher.request<T>(type, payload, { timeoutMs: opts.timeoutMs, ...(opts.correlationId ? { correlationId: opts.correlationId } : {}) });
  } catch (err) {
    if (err instanceof RequestTimeoutError || err instanceof RequestUnroutableError) {
      opts.logger?.warn({ type, err: err.message }, `${service} did not answer`);
      throw new DomainError('SERVICE_UNAVAILABLE', `${service} did not answer in time; try again`);
    }
    if (err instanceof RemoteHandlerError) throw new DomainError('INTERNAL_ERROR', err.message);
    throw err;
  }
}
