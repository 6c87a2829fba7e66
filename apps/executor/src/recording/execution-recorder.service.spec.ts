import { jest } from '@jest/globals';
import type { ExecutionEntity } from '@attune/persistence';
import { ExecutionRecorder } from './execution-recorder.service';

const silent = { child: () => silent, info: () => undefined, debug: () => undefined, warn: () => undefined } as never;
const claim = { execution_id: 5, attempt: 2, worker: 'w1', started_at: '2026-12-07T00:00:00.000Z' };

function recorder(transitioned: ExecutionEntity | null, current: Partial<ExecutionEntity> | null) {
  const executions = {
    transition: jest.fn(async (..._args: unknown[]) => transitioned),
    findById: jest.fn(async () => current as ExecutionEntity | null),
  };
  return { executions, recorder: new ExecutionRecorder(executions as never, {} as never, {} as never, silent) };
}

describe('ExecutionRecorder.claim', () => {
  it('grants a claim by the guarded transition to running on the claimed attempt, recording worker and start', async () => {
    const { recorder: r, executions } = recorder({ id: 5, status: 'running' } as ExecutionEntity, null);
    expect(await r.claim(claim)).toEqual({ granted: true });
    expect(executions.transition).toHaveBeenCalledWith(5, 'running', { attempt: 2, worker: 'w1', startedAt: new Date(claim.started_at) });
    expect(executions.findById).not.toHaveBeenCalled();
  });

  it('refuses a claim the transition does not apply to, saying the status', async () => {
    const { recorder: r } = recorder(null, { id: 5, status: 'completed', attempt: 2 });
    expect(await r.claim(claim)).toEqual({ granted: false, status: 'completed' });
  });

  it('refuses a claim on an execution that no longer exists', async () => {
    const { recorder: r } = recorder(null, null);
    expect(await r.claim(claim)).toEqual({ granted: false, status: 'unknown' });
  });

  it('grants again the very claim it granted (same worker, attempt and start), whose answer was lost', async () => {
    const running = { id: 5, status: 'running' as const, attempt: 2, worker: 'w1', startedAt: new Date(claim.started_at) };
    const { recorder: r } = recorder(null, running);
    expect(await r.claim(claim)).toEqual({ granted: true });
  });

  it.each([
    ['another worker', { worker: 'w2' }],
    ['another attempt', { attempt: 3 }],
    ['another start (a new claim by a worker of the same name)', { startedAt: new Date('2026-12-07T00:00:01.000Z') }],
  ])('refuses a claim on an execution running under %s', async (_what, differs) => {
    const running = { id: 5, status: 'running' as const, attempt: 2, worker: 'w1', startedAt: new Date(claim.started_at), ...differs };
    const { recorder: r } = recorder(null, running);
    expect(await r.claim(claim)).toEqual({ granted: false, status: 'running' });
  });
});
