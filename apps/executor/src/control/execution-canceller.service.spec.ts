import { jest } from '@jest/globals';
import { ExecutionCanceller } from './execution-canceller.service';

const silent = { child: () => silent, info: () => undefined, warn: () => undefined } as never;

/** A canceller over an execution whose successive reads give `statuses`; transitions succeed unless `raced`. */
function setup(statuses: Array<string | null>, opts: { workflowRun?: boolean; raced?: boolean } = {}) {
  const reads = [...statuses];
  let last: string | null = null;
  const executions = {
    findById: jest.fn(async () => {
      last = reads.length ? (reads.shift() as string | null) : last;
      return last === null ? null : { id: 7, status: last, worker: 'w1' };
    }),
    transition: jest.fn(async (_id: number, to: string) => (opts.raced ? null : { id: 7, status: to })),
  };
  const publisher = { publish: jest.fn(async () => undefined) };
  const endings = { ended: jest.fn(async () => undefined) };
  const workflows = { cancelRun: jest.fn(async () => opts.workflowRun ?? false) };
  const canceller = new ExecutionCanceller(executions as never, publisher as never, endings as never, workflows as never, silent);
  return { canceller, executions, publisher, endings };
}

describe('ExecutionCanceller.cancel answers the status it left', () => {
  it('cancelled for one not started, with workers told and the ending recorded', async () => {
    const { canceller, publisher, endings } = setup(['scheduled']);
    await expect(canceller.cancel(7)).resolves.toEqual({ execution_id: 7, status: 'cancelled' });
    expect(endings.ended).toHaveBeenCalledTimes(1);
    expect(publisher.publish).toHaveBeenCalledWith('execution.cancel.v1', { execution_id: 7 }, { correlationId: 'execution:7' });
  });

  it('canceling for a running one, as read after the committed transition', async () => {
    const { canceller, executions, publisher } = setup(['running', 'canceling']);
    await expect(canceller.cancel(7)).resolves.toEqual({ execution_id: 7, status: 'canceling' });
    expect(executions.transition).toHaveBeenCalledWith(7, 'canceling');
    expect(publisher.publish).toHaveBeenCalledTimes(1);
  });

  it('the terminal status an execution reached first, changing nothing', async () => {
    const { canceller, executions, publisher } = setup(['completed']);
    await expect(canceller.cancel(7)).resolves.toEqual({ execution_id: 7, status: 'completed' });
    expect(executions.transition).not.toHaveBeenCalled();
    expect(publisher.publish).not.toHaveBeenCalled();
  });

  it('a workflow run as its engine left it', async () => {
    const { canceller, executions } = setup(['canceling'], { workflowRun: true });
    await expect(canceller.cancel(7)).resolves.toEqual({ execution_id: 7, status: 'canceling' });
    expect(executions.transition).not.toHaveBeenCalled();
  });

  it('the current status when every guarded write lost its race', async () => {
    const { canceller, executions } = setup(['running'], { raced: true });
    await expect(canceller.cancel(7)).resolves.toEqual({ execution_id: 7, status: 'running' });
    expect(executions.transition).toHaveBeenCalledTimes(5);
  });

  it('NOT_FOUND for an execution that does not exist', async () => {
    const { canceller } = setup([null]);
    await expect(canceller.cancel(7)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
