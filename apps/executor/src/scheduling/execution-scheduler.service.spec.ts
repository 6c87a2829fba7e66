import { jest } from '@jest/globals';
import { MessageTypes } from '@attune/contracts';
import { MessageUnroutableError } from '@attune/messaging';
import { type ActionEntity, type ExecutionEntity, ParameterSecrets, SECRET_MASK } from '@attune/persistence';
import { ExecutionScheduler } from './execution-scheduler.service';
import { ExecutionEndings } from '../workflows/execution-endings';
import { WorkflowHooks } from '../workflows/workflow-hooks';

const execution = { id: 9, action: 3, actionRef: 'core.echo', config: { message: 'x' }, envVars: { A: 'b' }, timeoutSeconds: 30, attempt: 2 } as unknown as ExecutionEntity;
const action = {
  id: 3, ref: 'core.echo', packRef: 'core', runtime: 'shell', entrypoint: 'printf x', entrypointInline: true, outputFormat: 'text',
  enabled: true, onWorkerLost: 'retry', paramSchema: { type: 'object', properties: { pw: { type: 'string', secret: true } } },
} as unknown as ActionEntity;
const silent = { child: () => silent, info: () => undefined, debug: () => undefined, warn: () => undefined } as never;

type Plan = { kind: 'dispatch'; routingKey: string; runtimeSet: string; packDigest?: string } | { kind: 'parked'; reason: string } | { kind: 'gone' };
const DISPATCH: Plan = { kind: 'dispatch', routingKey: 'execution.dispatch.v1.default.node-python-shell', runtimeSet: 'node-python-shell' };

const KEY = 'k'.repeat(40);

function setup(
  over: {
    transition?: (id: number, to: string) => unknown;
    action?: ActionEntity | null;
    publish?: () => Promise<void>;
    plan?: Plan;
    run?: unknown;
    execution?: ExecutionEntity;
    inquiries?: { start: (...args: unknown[]) => Promise<void> };
  } = {},
) {
  const current = over.execution ?? execution;
  const calls: string[] = [];
  const executions = {
    transition: jest.fn(async (id: number, to: string, patch?: unknown) => {
      calls.push(`transition:${to}`);
      return over.transition ? over.transition(id, to) : { ...current, status: to, patch };
    }),
    findById: jest.fn(async () => ({ ...current, status: 'running' })),
  };
  const actions = { findById: jest.fn(async () => (over.action === undefined ? action : over.action)) };
  const publisher = {
    publish: jest.fn(async (..._args: unknown[]) => {
      calls.push('publish');
      if (over.publish) await over.publish();
    }),
  };
  const tokens = { mint: jest.fn(async () => 'token'), mintLogToken: jest.fn(async () => 'log-token') };
  const planner = {
    plan: jest.fn(async () => {
      calls.push('plan');
      return over.plan ?? DISPATCH;
    }),
    park: jest.fn(async () => {
      calls.push('park');
      return { kind: 'parked', reason: 'x' };
    }),
  };
  const scheduler = new ExecutionScheduler(
    executions as never, actions as never, publisher as never, tokens as never, { workerPool: 'default', secretsKey: KEY } as never, silent, planner as never,
    new ExecutionEndings(), new WorkflowHooks(), { findRun: async () => over.run ?? null } as never, (over.inquiries ?? {}) as never,
  );
  return { scheduler, executions, publisher, planner, calls, tokens };
}

describe('ExecutionScheduler', () => {
  it('records scheduling, publishes the dispatch, then records scheduled', async () => {
    const { scheduler, publisher, calls } = setup();
    await scheduler.schedule(9);
    expect(calls).toEqual(['transition:scheduling', 'plan', 'publish', 'transition:scheduled']);
    const [type, payload, opts] = publisher.publish.mock.calls[0] as [string, Record<string, unknown>, Record<string, unknown>];
    expect(type).toBe(MessageTypes.ExecutionDispatch);
    expect(opts).toEqual({ routingKey: 'execution.dispatch.v1.default.node-python-shell', correlationId: 'execution:9', requireRoute: true });
    expect(payload).toEqual({
      execution_id: 9,
      action: {
        ref: 'core.echo', pack_ref: 'core', runtime: 'shell', entrypoint: 'printf x', inline: true, output_format: 'text',
        secret_parameters: ['pw'], on_worker_lost: 'retry',
      },
      parameters: { message: 'x' },
      env_vars: { A: 'b' },
      timeout_seconds: 30,
      token: 'token',
      log_token: 'log-token',
      attempt: 2,
    });
  });

  it("gives a workflow task's dispatch the action's and the task's artifacts, its consumes, its run's config, and a token naming its run", async () => {
    const workflowTask = { workflow_execution: 7, task_name: 'test', attempt: 1 };
    const run = {
      definition: {
        config: { artifactRetention: '30d', verifyChecksums: true, artifactCompression: true },
        tasks: [{ name: 'test', artifacts: ['report.xml'], consumes: ['build.app.bin'] }],
      },
    };
    const { scheduler, publisher, tokens } = setup({
      execution: { ...execution, workflowTask } as ExecutionEntity,
      action: { ...action, artifacts: [{ path: 'out/*.log', when: 'success' }] } as ActionEntity,
      run,
    });
    await scheduler.schedule(9);
    const payload = publisher.publish.mock.calls[0][1] as Record<string, unknown>;
    expect(payload).toMatchObject({
      workflow_task: workflowTask,
      artifacts: [{ path: 'out/*.log', when: 'success' }, { path: 'report.xml' }],
      consumes: ['build.app.bin'],
      artifact_config: { verify_checksums: true, artifact_compression: true, retention_policy: 'days', retention_limit: 30 },
    });
    expect(tokens.mint).toHaveBeenCalledWith(9, 30, workflowTask);
  });

  it('puts the sealed secret parameters back into the dispatch, and only there', async () => {
    const sealed = new ParameterSecrets(KEY).seal({ message: 'x', pw: 'hunter2' }, ['pw']);
    expect(sealed.config).toEqual({ message: 'x', pw: SECRET_MASK });
    const { scheduler, publisher } = setup({ execution: { ...execution, config: sealed.config, secretParameters: sealed.sealed } as ExecutionEntity });
    await scheduler.schedule(9);
    const payload = publisher.publish.mock.calls[0][1] as { parameters: Record<string, unknown> };
    expect(payload.parameters).toEqual({ message: 'x', pw: 'hunter2' });
  });

  it('fails an execution whose secrets were sealed under another key instead of dispatching the mask', async () => {
    const sealed = new ParameterSecrets('another key of enough length!!!!!').seal({ pw: 'hunter2' }, ['pw']);
    const { scheduler, publisher, calls } = setup({ execution: { ...execution, config: sealed.config, secretParameters: sealed.sealed } as ExecutionEntity });
    await scheduler.schedule(9);
    expect(publisher.publish).not.toHaveBeenCalled();
    expect(calls).toEqual(['transition:scheduling', 'plan', 'transition:failed']);
  });

  it('names the pack archive the planner fixed for the execution', async () => {
    const digest = 'a'.repeat(64);
    const { scheduler, publisher } = setup({ plan: { ...DISPATCH, packDigest: digest } as Plan });
    await scheduler.schedule(9);
    const payload = publisher.publish.mock.calls[0][1] as { action: { pack_digest?: string } };
    expect(payload.action.pack_digest).toBe(digest);
  });

  it('publishes nothing while no worker can run the action (the planner parked it)', async () => {
    for (const plan of [{ kind: 'parked', reason: 'waiting' }, { kind: 'gone' }] as Plan[]) {
      const { scheduler, publisher, calls } = setup({ plan });
      await scheduler.schedule(9);
      expect(publisher.publish).not.toHaveBeenCalled();
      expect(calls).toEqual(['transition:scheduling', 'plan']);
    }
  });

  it('parks the execution instead of counting it dispatched when the broker had no queue for it', async () => {
    const { scheduler, planner, calls } = setup({ publish: async () => Promise.reject(new MessageUnroutableError('execution.dispatch.v1', 'k')) });
    await scheduler.schedule(9);
    expect(calls).toEqual(['transition:scheduling', 'plan', 'publish', 'park']);
    expect(planner.park).toHaveBeenCalledWith(expect.objectContaining({ id: 9 }), action, expect.stringContaining('node-python-shell'));
  });

  it('does nothing for an execution already past scheduling (a duplicate message)', async () => {
    const { scheduler, publisher } = setup({ transition: () => null });
    await scheduler.schedule(9);
    expect(publisher.publish).not.toHaveBeenCalled();
  });

  it('fails the execution when its action is disabled or gone, without dispatching', async () => {
    for (const a of [{ ...action, enabled: false } as ActionEntity, null]) {
      const { scheduler, publisher, calls } = setup({ action: a });
      await scheduler.schedule(9);
      expect(publisher.publish).not.toHaveBeenCalled();
      expect(calls).toEqual(['transition:scheduling', 'transition:failed']);
    }
  });

  it('leaves the execution in scheduling when the dispatch is not confirmed, so a retry publishes again', async () => {
    const { scheduler, calls } = setup({ publish: async () => Promise.reject(new Error('no confirm')) });
    await expect(scheduler.schedule(9)).rejects.toThrow('no confirm');
    expect(calls).toEqual(['transition:scheduling', 'plan', 'publish']);
  });

  it('hands a core.inquiry execution to the inquiry service: no plan, no dispatch, no worker', async () => {
    const start = jest.fn(async (..._args: unknown[]) => undefined);
    const inquiryAction = { ...action, ref: 'core.inquiry' } as ActionEntity;
    const { scheduler, publisher, planner, calls } = setup({ action: inquiryAction, inquiries: { start } });
    await scheduler.schedule(9);
    expect(start).toHaveBeenCalledWith(expect.objectContaining({ id: 9, status: 'scheduling' }), inquiryAction);
    expect(planner.plan).not.toHaveBeenCalled();
    expect(publisher.publish).not.toHaveBeenCalled();
    expect(calls).toEqual(['transition:scheduling']);
  });
});
