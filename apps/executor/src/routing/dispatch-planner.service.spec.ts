import { jest } from '@jest/globals';
import type { ActionEntity, ExecutionEntity, WorkerEntity } from '@attune/persistence';
import { chooseRuntimeSet, DispatchPlanner } from './dispatch-planner.service';

const worker = (name: string, runtimes: string[], capacity = 4, running = 0) => ({ name, runtimes, capacity, running }) as unknown as WorkerEntity;
const silent = { child: () => silent, info: () => undefined, debug: () => undefined, warn: () => undefined } as never;

describe('chooseRuntimeSet', () => {
  it('picks, among the runtime sets of live workers, the one with the most free slots', () => {
    expect(chooseRuntimeSet([])).toBeUndefined();
    expect(chooseRuntimeSet([worker('a', ['shell', 'python', 'node'], 4, 4), worker('b', ['shell'], 2, 0)])).toBe('shell');
    expect(
      chooseRuntimeSet([worker('a', ['node', 'shell', 'python'], 4, 1), worker('b', ['python', 'node', 'shell'], 4, 1), worker('c', ['shell'], 4, 0)]),
    ).toBe('node-python-shell');
  });
});

describe('DispatchPlanner', () => {
  const execution = { id: 7, packDigest: null } as unknown as ExecutionEntity;
  const script = { runtime: 'python', entrypointInline: false, packId: 2 } as unknown as ActionEntity;

  function setup(live: WorkerEntity[], packDigest: string | null = 'f'.repeat(64)) {
    const workers = { findLive: jest.fn(async () => live) };
    const executions = {
      parkWaiting: jest.fn(async () => ({ id: 7, status: 'scheduled' })),
      fixPackDigest: jest.fn(async (_id: number, _pack: number) => ({ digest: packDigest })),
    };
    const planner = new DispatchPlanner(workers as never, executions as never, { amqpNamespace: 'attune', workerPool: 'default', workerLostAfterMs: 15000 } as never, silent);
    return { planner, workers, executions };
  }

  it('routes to the runtime set of a live worker that has the runtime and fixes the pack digest', async () => {
    const { planner, workers, executions } = setup([worker('w1', ['python', 'shell'])]);
    expect(await planner.plan(execution, script)).toEqual({
      kind: 'dispatch',
      routingKey: 'execution.dispatch.v1.default.python-shell',
      runtimeSet: 'python-shell',
      packDigest: 'f'.repeat(64),
    });
    expect(workers.findLive).toHaveBeenCalledWith('attune', 'default', 'python', 15000);
    expect(executions.fixPackDigest).toHaveBeenCalledWith(7, 2);
  });

  it('parks the execution with a reason when no live worker has the runtime', async () => {
    const { planner, executions } = setup([]);
    const plan = await planner.plan(execution, script);
    expect(plan).toEqual({ kind: 'parked', reason: 'waiting for a worker with runtime "python" in pool "default": none is online' });
    expect(executions.parkWaiting).toHaveBeenCalledWith(7, expect.stringContaining('python'));
  });

  it('names no archive for inline actions or packs never uploaded', async () => {
    const inline = setup([worker('w1', ['shell'])]);
    const plan = await inline.planner.plan(execution, { ...script, runtime: 'shell', entrypointInline: true } as ActionEntity);
    expect(plan).toMatchObject({ kind: 'dispatch', packDigest: undefined });
    const never = setup([worker('w1', ['python'])], null);
    expect(await never.planner.plan(execution, script)).toMatchObject({ kind: 'dispatch', packDigest: undefined });
    expect(inline.executions.fixPackDigest).not.toHaveBeenCalled();
  });

  it('dispatches nothing for an execution that left scheduling meanwhile (cancelled)', async () => {
    const { planner, executions } = setup([worker('w1', ['python'])]);
    executions.fixPackDigest.mockImplementation(async () => undefined as never);
    expect(await planner.plan(execution, script)).toEqual({ kind: 'gone' });
  });
});
