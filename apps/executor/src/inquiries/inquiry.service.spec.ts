import { jest } from '@jest/globals';
import type { ActionEntity, ExecutionEntity, InquiryRecord } from '@attune/persistence';
import { DEFAULT_INQUIRY_SCHEMA, INQUIRY_WORKER, InquiryService } from './inquiry.service';

const silent = { child: () => silent, info: () => undefined, debug: () => undefined, warn: () => undefined } as never;
const SCHEMA = { type: 'object', properties: { approved: { type: 'boolean' } }, required: ['approved'] };
const action = { id: 1, ref: 'core.inquiry' } as ActionEntity;

function execution(config: Record<string, unknown>, over: Partial<ExecutionEntity> = {}): ExecutionEntity {
  return { id: 5, attempt: 1, config, timeoutSeconds: 600, created: new Date(), startedAt: new Date(Date.now() - 1000), status: 'running', ...over } as ExecutionEntity;
}

function inquiry(over: Partial<InquiryRecord> = {}): InquiryRecord {
  return {
    id: 9, execution: 5, title: null, prompt: 'ok?', schema: SCHEMA, assignedTo: [], roles: [], status: 'pending', response: null, respondedBy: null,
    respondedAt: null, timeoutAt: new Date(Date.now() + 60_000), created: new Date(Date.now() - 5000), updated: new Date(), ...over,
  };
}

function setup(current: InquiryRecord = inquiry(), exec: ExecutionEntity = execution({})) {
  let stored = current;
  const inquiries = {
    createOnce: jest.fn(async (i: Record<string, unknown>) => ({ ...current, ...i })),
    findById: jest.fn(async () => stored),
    respond: jest.fn(async (_id: number, response: Record<string, unknown>, by: string) => {
      stored = { ...stored, status: 'responded', response, respondedBy: by };
      return stored;
    }),
    close: jest.fn(async (_id: number, status: 'timeout' | 'cancelled') => {
      stored = { ...stored, status };
      return stored;
    }),
    findUnsettled: jest.fn(async () => [{ ...stored, executionStatus: exec.status }]),
  };
  const executions = { findById: jest.fn(async () => exec) };
  const recorder = { started: jest.fn(async () => undefined), finished: jest.fn(async (_msg: unknown) => undefined) };
  const service = new InquiryService(inquiries as never, executions as never, recorder as never, silent);
  return { service, inquiries, recorder };
}

describe('InquiryService', () => {
  it('handles core.inquiry and core.ask only', () => {
    expect(InquiryService.handles('core.inquiry')).toBe(true);
    expect(InquiryService.handles('core.ask')).toBe(true);
    expect(InquiryService.handles('core.echo')).toBe(false);
  });

  it('records the inquiry from the parameters and reports the execution running, with no worker', async () => {
    const { service, inquiries, recorder } = setup();
    await service.start(execution({ schema: SCHEMA, assigned_to: 'Ada, bob', roles: ['admin'], prompt: 'Deploy?', timeout: 30 }), action);
    const created = inquiries.createOnce.mock.calls[0][0] as Record<string, any>;
    expect(created).toMatchObject({ execution: 5, schema: SCHEMA, assignedTo: ['ada', 'bob'], roles: ['admin'], prompt: 'Deploy?' });
    expect(created.timeoutAt.getTime()).toBeGreaterThan(Date.now() + 25_000);
    expect(created.timeoutAt.getTime()).toBeLessThanOrEqual(Date.now() + 30_000);
    expect(recorder.started).toHaveBeenCalledWith(expect.objectContaining({ execution_id: 5, worker: INQUIRY_WORKER }));
  });

  it("defaults to a continue flag and the execution's timeout", async () => {
    const { service, inquiries } = setup();
    await service.start(execution({}), action);
    const created = inquiries.createOnce.mock.calls[0][0] as Record<string, any>;
    expect(created.schema).toEqual(DEFAULT_INQUIRY_SCHEMA);
    expect(created.timeoutAt.getTime()).toBeGreaterThan(Date.now() + 590_000);
  });

  it('fails the execution when the schema is not a JSON Schema', async () => {
    const { service, inquiries, recorder } = setup();
    await service.start(execution({ schema: { type: 'no-such-type' } }), action);
    expect(inquiries.createOnce).not.toHaveBeenCalled();
    expect(recorder.finished).toHaveBeenCalledWith(expect.objectContaining({ status: 'failed', result: expect.objectContaining({ error: expect.stringContaining('schema') }) }));
  });

  it('records an answer and completes the execution through the recorder with the answer as result.data', async () => {
    const { service, inquiries, recorder } = setup();
    await service.respond({ inquiry_id: 9, execution_id: 5, response: { approved: true }, responded_by: 'ada' });
    expect(inquiries.respond).toHaveBeenCalledWith(9, { approved: true }, 'ada');
    expect(recorder.finished).toHaveBeenCalledWith(
      expect.objectContaining({ execution_id: 5, attempt: 1, status: 'completed', worker: INQUIRY_WORKER, result: expect.objectContaining({ succeeded: true, data: { approved: true } }) }),
    );
  });

  it('finishes again (and records nothing new) when the answer is redelivered after a crash', async () => {
    const { service, inquiries, recorder } = setup(inquiry({ status: 'responded', response: { approved: false } }));
    await service.respond({ inquiry_id: 9, execution_id: 5, response: { approved: true }, responded_by: 'eve' });
    expect(inquiries.respond).not.toHaveBeenCalled();
    expect(recorder.finished).toHaveBeenCalledWith(expect.objectContaining({ status: 'completed', result: expect.objectContaining({ data: { approved: false } }) }));
  });

  it('drops an answer that does not fit the schema', async () => {
    const { service, recorder } = setup();
    await expect(service.respond({ inquiry_id: 9, execution_id: 5, response: { approved: 'yes' }, responded_by: 'ada' })).rejects.toThrow(/schema/);
    expect(recorder.finished).not.toHaveBeenCalled();
  });

  it('times out a pending inquiry past its deadline, and cancels one whose execution is being cancelled', async () => {
    const timedOut = setup(inquiry({ timeoutAt: new Date(Date.now() - 1) }));
    await timedOut.service.settle();
    expect(timedOut.inquiries.close).toHaveBeenCalledWith(9, 'timeout');
    expect(timedOut.recorder.finished).toHaveBeenCalledWith(expect.objectContaining({ status: 'timeout', result: expect.objectContaining({ timed_out: true, succeeded: false }) }));

    const cancelled = setup(inquiry(), execution({}, { status: 'canceling' }));
    await cancelled.service.settle();
    expect(cancelled.inquiries.close).toHaveBeenCalledWith(9, 'cancelled');
    expect(cancelled.recorder.finished).toHaveBeenCalledWith(expect.objectContaining({ status: 'cancelled', result: expect.objectContaining({ cancelled: true }) }));
  });
});
