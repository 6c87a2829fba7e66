import { type ExecutionClaimV1, type ExecutionDispatchV1, MessageTypes } from '@attune/contracts';
import type { MessagePublisher } from '@attune/messaging';
import type { WorkerConfig } from '../config/worker.config';
import { DispatchDecider } from './dispatch-decider.service';

const log = { info: () => undefined, warn: () => undefined } as never;
const dispatch = { execution_id: 7, attempt: 2 } as ExecutionDispatchV1;

function decider(reply: { granted: boolean; status?: string } | Error) {
  const requests: Array<{ type: string; payload: ExecutionClaimV1 }> = [];
  const publisher = {
    request: async (type: string, payload: ExecutionClaimV1) => {
      requests.push({ type, payload });
      if (reply instanceof Error) throw reply;
      return reply;
    },
  } as unknown as MessagePublisher;
  return { requests, decider: new DispatchDecider({ name: 'w1', claimTimeoutMs: 1000 } as WorkerConfig, publisher) };
}

describe('DispatchDecider', () => {
  it('claims every dispatch from the executor with its attempt, and runs it when granted', async () => {
    const { decider: d, requests } = decider({ granted: true });
    expect(await d.decide(dispatch, log)).toEqual({ run: true });
    expect(requests).toEqual([{ type: MessageTypes.ExecutionClaim, payload: expect.objectContaining({ execution_id: 7, attempt: 2, worker: 'w1' }) }]);
  });

  it('drops a copy the executor refuses (already started, settled or cancelled)', async () => {
    const { decider: d } = decider({ granted: false, status: 'running' });
    expect(await d.decide(dispatch, log)).toEqual({ run: false, reason: 'claim refused (execution running)' });
  });

  it('skips an execution cancelled before its dispatch arrived, without asking', async () => {
    const { decider: d, requests } = decider({ granted: true });
    d.cancelledNow(7);
    expect(await d.decide(dispatch, log)).toMatchObject({ run: false });
    expect(requests).toHaveLength(0);
  });

  it('asks the same claim again until it is answered, and runs it when the answer is a grant', async () => {
    const requests: ExecutionClaimV1[] = [];
    const replies: Array<{ granted: boolean } | Error> = [new Error('request execution.claim.v1 timed out'), new Error('broker closed'), { granted: true }];
    const publisher = {
      request: async (_type: string, payload: ExecutionClaimV1) => {
        requests.push(payload);
        const reply = replies.shift() as { granted: boolean } | Error;
        if (reply instanceof Error) throw reply;
        return reply;
      },
    } as unknown as MessagePublisher;
    const d = new DispatchDecider({ name: 'w1', claimTimeoutMs: 1000 } as WorkerConfig, publisher);
    expect(await d.decide(dispatch, log)).toEqual({ run: true });
    expect(requests).toHaveLength(3);
    // The same claim each time: the executor grants again only the claim it granted.
    expect(new Set(requests.map((r) => JSON.stringify(r))).size).toBe(1);
  });

  it('gives up on an unanswered claim only when the worker shuts down, so the transport delivers it again', async () => {
    const { decider: d } = decider(new Error('request execution.claim.v1 timed out'));
    const pending = d.decide(dispatch, log);
    d.beforeApplicationShutdown();
    await expect(pending).rejects.toThrow('timed out');
  });
});
