import { jest } from '@jest/globals';
import { DomainError } from '@attune/contracts';
import { RequestTimeoutError } from '@attune/messaging';
import type { Principal } from '../auth/auth.decorators';
import { ExecutionsService } from './executions.service';

const operator = { kind: 'user', id: 1, login: 'ops' } as unknown as Principal;

/** The cancel path with the executor's side replaced: `reply` is what its request answers. */
function setup(statuses: string[], reply: () => Promise<unknown>) {
  const rows = statuses.map((status) => ({ id: 7, status, executor: null }));
  const executions = { findById: jest.fn(async () => rows.shift() ?? null) };
  const publisher = { request: jest.fn(reply) };
  const identities = { loginsOf: jest.fn(async () => new Map()) };
  const config = { cancelTimeoutMs: 1234 };
  const service = new ExecutionsService({} as never, executions as never, {} as never, publisher as never, config as never, identities as never);
  return { service, executions, publisher };
}

describe('ExecutionsService.cancel', () => {
  it('asks the executor by request/reply and answers the execution read once after its reply', async () => {
    const { service, executions, publisher } = setup(['running', 'canceling'], async () => ({ execution_id: 7, status: 'canceling' }));
    await expect(service.cancel(operator, 7)).resolves.toMatchObject({ id: 7, status: 'canceling' });
    expect(publisher.request).toHaveBeenCalledWith('execution.cancel-requested.v1', { execution_id: 7 }, { timeoutMs: 1234, correlationId: 'execution:7' });
    expect(executions.findById).toHaveBeenCalledTimes(2);
  });

  it('answers 503 when the executor does not answer in time, without reading again', async () => {
    const { service, executions } = setup(['running'], async () => {
      throw new RequestTimeoutError('execution.cancel-requested.v1', 1234, 'm1');
    });
    const err = await service.cancel(operator, 7).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({ code: 'SERVICE_UNAVAILABLE', message: expect.stringContaining('the executor did not answer') });
    expect(executions.findById).toHaveBeenCalledTimes(1);
  });

  it('answers 503 when the request cannot be published, and keeps the executor\'s own refusal', async () => {
    const unpublished = setup(['running'], async () => {
      throw new Error('request execution.cancel-requested.v1 could not be published: closed');
    });
    await expect(unpublished.service.cancel(operator, 7)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    const gone = setup(['running'], async () => {
      throw new DomainError('NOT_FOUND', 'execution 7 not found');
    });
    await expect(gone.service.cancel(operator, 7)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses a terminal execution with 409 without asking the executor', async () => {
    const { service, publisher } = setup(['completed'], async () => ({}));
    await expect(service.cancel(operator, 7)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(publisher.request).not.toHaveBeenCalled();
  });
});
