import { describe, expect, it } from '@jest/globals';
import { MessageTypes } from '@attune/contracts';
import { allDomainExchanges, domainExchange, mainQueueOptions, queueNames, retryQueueOptions } from './topology';

describe('topology names', () => {
  it('prefixes everything with the namespace', () => {
    expect(domainExchange('attune', MessageTypes.ExecutionDispatch)).toBe('attune.executions');
    expect(domainExchange('attune', MessageTypes.WorkerHeartbeat)).toBe('attune.workers');
    expect(allDomainExchanges('attune')).toEqual(['attune.executions', 'attune.events', 'attune.artifacts', 'attune.workers']);
    expect(queueNames('attune', 'worker.default')).toEqual({
      queue: 'attune.worker.default',
      dlq: 'attune.worker.default.dlq',
      retry: 'attune.worker.default.retry',
      dlx: 'attune.dlx',
    });
  });

  it('dead-letters the queue to the DLX under its own name, and the retry queue back to the queue', () => {
    const names = queueNames('attune', 'executor');
    expect(mainQueueOptions(names)).toMatchObject({
      durable: true,
      arguments: { 'x-dead-letter-exchange': 'attune.dlx', 'x-dead-letter-routing-key': 'attune.executor' },
    });
    expect(retryQueueOptions(names)).toMatchObject({
      durable: true,
      arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'attune.executor' },
    });
  });

  it('refuses a type of no known domain', () => {
    expect(() => domainExchange('attune', 'billing.charged.v1')).toThrow(/no known exchange/);
  });
});
