import { type ExtraInstance, waitFor } from '@attune/testing';
import { chmodSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execute, usePlatform, waitForTerminal } from './support';

/**
 * Workflows end to end (issue #15): runs as parent executions, tasks as child executions that
 * real workers run, and the engine in real executors (two of them here: one is killed mid-run).
 */
let secondExecutor: ExtraInstance;
const suffix = Date.now().toString(36);
const pack = `wf${suffix}`;
const scratch: string[] = [];

const ctx = usePlatform(
  'workflows',
  // Quick sweeps: the SIGKILL test relies on them to pick up what the killed executor held.
  { ATTUNE_EXECUTOR_SWEEP_INTERVAL_MS: '1000', ATTUNE_EXECUTOR_STALE_AFTER_MS: '2000', ATTUNE_WORKFLOW_SWEEP_INTERVAL_MS: '500' },
  { database: 'workflows' },
);

beforeAll(async () => {
  secondExecutor = await ctx.platform.startExtra('executor');
  const res = await ctx.api.post('/api/v1/packs', { ref: pack, label: 'Workflows e2e', version: '1.0.0' });
  expect(res.status).toBe(201);
});

afterAll(() => {
  for (const f of scratch) rmSync(f, { force: true });
});

/** Saves a workflow through the API (POST /api/v1/workflows) and answers its ref. */
async function workflow(name: string, definition: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<string> {
  const ref = `${pack}.${name}`;
  const res = await ctx.api.post('/api/v1/workflows', { ref, pack_ref: pack, label: name, version: '1.0.0', definition, ...extra });
  if (res.status !== 201) throw new Error(`POST /workflows ${ref} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return ref;
}

async function children(parent: number): Promise<any[]> {
  const all: any[] = [];
  for (let page = 1; ; page++) {
    const res = await ctx.api.get(`/api/v1/executions?parent=${parent}&per_page=100&page=${page}`);
    expect(res.status).toBe(200);
    all.push(...res.body.data);
    if (page >= res.body.pagination.total_pages) break;
  }
  return all.sort((a, b) => a.id - b.id);
}

const byTask = (kids: any[], task: string) => kids.filter((k) => k.workflow_task?.task_name === task);
const time = (iso: string) => new Date(iso).getTime();

/** A file every action may append to (each runs as its own uid). */
function sharedFile(name: string): string {
  const path = join(tmpdir(), `attune-${name}-${suffix}-${Math.random().toString(36).slice(2)}`);
  writeFileSync(path, '');
  chmodSync(path, 0o666);
  scratch.push(path);
  return path;
}

/** Command lines of live processes containing `marker`, read from /proc. */
function processesWith(marker: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      if (cmdline.includes(marker)) found.push(`${pid} ${cmdline}`);
    } catch {
      // exited while we looked
    }
  }
  return found;
}

describe('a sequential workflow', () => {
  it('runs its tasks in order as children, passing published values along, and renders output_map', async () => {
    const ref = await workflow('sequential', {
      parameters: { name: { type: 'string', default: 'world' } },
      vars: { greeting: 'hello' },
      tasks: [
        {
          name: 'greet',
          action: 'core.echo',
          input: { message: '{{ vars.greeting }}, {{ parameters.name }}' },
          next: [{ when: '{{ succeeded() }}', publish: [{ said: '{{ result().stdout | trim }}' }], do: ['shout'] }],
        },
        { name: 'shout', action: 'core.echo', input: { message: '{{ vars.said | upper }}!' }, on_success: 'count' },
        { name: 'count', action: 'core.local', input: { cmd: 'printf %s 3' }, publish: { n: '{{ result().stdout }}' } },
      ],
      output_map: { said: '{{ vars.said }}', shouted: '{{ task.shout.result.stdout }}', n: '{{ vars.n }}' },
    });
    const run = await execute(ctx.api, ref, { name: 'attune' });
    const done = await waitForTerminal(ctx.api, run.id, 60_000);
    expect(done.status).toBe('completed');
    expect(done.result.output).toEqual({ said: 'hello, attune', shouted: 'HELLO, ATTUNE!\n', n: '3' });
    const kids = await children(run.id);
    expect(kids.map((k) => [k.action_ref, k.status, k.workflow_task.task_name])).toEqual([
      ['core.echo', 'completed', 'greet'],
      ['core.echo', 'completed', 'shout'],
      ['core.local', 'completed', 'count'],
    ]);
    for (const k of kids) {
      expect(k.parent).toBe(run.id);
      expect(k.workflow_task).toMatchObject({ workflow_execution: run.id, attempt: 1 });
    }
    // No task starts before the one it follows has ended.
    for (let i = 1; i < kids.length; i++) expect(time(kids[i].started_at)).toBeGreaterThanOrEqual(time(kids[i - 1].finished_at));
    expect(done.result.tasks).toEqual({
      greet: { status: 'succeeded', execution: kids[0].id },
      shout: { status: 'succeeded', execution: kids[1].id },
      count: { status: 'succeeded', execution: kids[2].id },
    });
  }, 90_000);
});

describe('with_items', () => {
  it('fans out 20 items, never more than 5 at once, and joins after all of them', async () => {
    const ref = await workflow('fanout', {
      vars: { hosts: Array.from({ length: 20 }, (_, i) => `host-${i}`) },
      tasks: [
        { name: 'start', action: 'core.noop', on_success: ['probe', 'audit'] },
        {
          name: 'probe',
          action: 'core.local',
          with_items: '{{ vars.hosts }}',
          concurrency: 5,
          input: { cmd: 'sleep 0.3; printf %s {{ item }}-{{ index }}' },
          on_success: 'report',
        },
        { name: 'audit', action: 'core.noop', on_success: 'report' },
        { name: 'report', action: 'core.echo', join: 'all', input: { message: '{{ task.probe.items | length }} probed' } },
      ],
      output_map: { probed: '{{ task.probe.items | length }}', last: '{{ task.probe.items[19].stdout }}' },
    });
    const run = await execute(ctx.api, ref);
    const done = await waitForTerminal(ctx.api, run.id, 120_000);
    expect(done.status).toBe('completed');
    expect(done.result.output).toEqual({ probed: 20, last: 'host-19-19' });
    const kids = await children(run.id);
    const items = byTask(kids, 'probe');
    expect(items.map((k) => k.workflow_task.task_index).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(items.every((k) => k.status === 'completed')).toBe(true);
    // The concurrency limit, from the runs' own timestamps.
    const edges = items.flatMap((k) => [
      { at: time(k.started_at), d: 1 },
      { at: time(k.finished_at), d: -1 },
    ]);
    edges.sort((a, b) => a.at - b.at || a.d - b.d);
    let running = 0;
    let peak = 0;
    for (const e of edges) peak = Math.max(peak, (running += e.d));
    expect(peak).toBeLessThanOrEqual(5);
    expect(peak).toBeGreaterThan(1);
    // The join waits for both branches: report starts after every item and audit ended.
    const [report] = byTask(kids, 'report');
    expect(report.status).toBe('completed');
    for (const k of [...items, ...byTask(kids, 'audit')]) expect(time(report.started_at)).toBeGreaterThanOrEqual(time(k.finished_at));
    expect(report.config).toEqual({ message: '20 probed' });
    expect(done.result.tasks.probe.items).toHaveLength(20);
  }, 180_000);
});

describe('failures', () => {
  it('a failure handled by a transition runs the cleanup, and the run completes', async () => {
    const ref = await workflow('handled', {
      tasks: [
        { name: 'deploy', action: 'core.local', input: { cmd: 'echo broken >&2; exit 4' }, on_success: 'announce', on_failure: 'rollback' },
        { name: 'announce', action: 'core.noop' },
        { name: 'rollback', action: 'core.echo', input: { message: 'rolled back after: {{ task.deploy.result.stderr | trim }}' } },
      ],
    });
    const run = await execute(ctx.api, ref);
    const done = await waitForTerminal(ctx.api, run.id, 60_000);
    expect(done.status).toBe('completed');
    const kids = await children(run.id);
    expect(kids.map((k) => [k.workflow_task.task_name, k.status])).toEqual([
      ['deploy', 'failed'],
      ['rollback', 'completed'],
    ]);
    expect(kids[1].config).toEqual({ message: 'rolled back after: broken' });
    expect(done.result.tasks.announce).toEqual({ status: 'pending', execution: null });
  }, 60_000);

  it('an unhandled failure fails the run, and later tasks are never created', async () => {
    const ref = await workflow('unhandled', {
      tasks: [
        { name: 'build', action: 'core.local', input: { cmd: 'exit 2' }, on_success: 'test' },
        { name: 'test', action: 'core.noop', on_success: 'ship' },
        { name: 'ship', action: 'core.noop' },
      ],
    });
    const run = await execute(ctx.api, ref);
    const done = await waitForTerminal(ctx.api, run.id, 60_000);
    expect(done.status).toBe('failed');
    expect(done.result.error).toContain('build');
    const kids = await children(run.id);
    expect(kids.map((k) => k.workflow_task.task_name)).toEqual(['build']);
  }, 60_000);

  it('retry count 2 on a task that fails twice: three runs, and the run completes', async () => {
    const counter = sharedFile('retry');
    const ref = await workflow('retrying', {
      tasks: [
        {
          name: 'flaky',
          action: 'core.local',
          // Fails on its first two runs, succeeds on the third.
          input: { cmd: `n=$(($(cat ${counter} || echo 0) + 1)); echo $n > ${counter}; test $n -ge 3` },
          retry: { count: 2, delay: 1, backoff: 'exponential' },
          on_success: 'after',
        },
        { name: 'after', action: 'core.noop' },
      ],
    });
    const run = await execute(ctx.api, ref);
    const done = await waitForTerminal(ctx.api, run.id, 60_000);
    expect(done.status).toBe('completed');
    const flaky = byTask(await children(run.id), 'flaky');
    expect(flaky.map((k) => [k.workflow_task.attempt, k.status])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
      [3, 'completed'],
    ]);
    // The delays: 1 s, then 2 s (exponential).
    expect(time(flaky[1].started_at) - time(flaky[0].finished_at)).toBeGreaterThanOrEqual(900);
    expect(time(flaky[2].started_at) - time(flaky[1].finished_at)).toBeGreaterThanOrEqual(1900);
    expect(readFileSync(counter, 'utf8').trim()).toBe('3');
  }, 60_000);
});

describe('cancel', () => {
  it('cancel_running: the running child is killed with its process group, nothing new starts, the run is cancelled', async () => {
    const marker = `5${Date.now() % 100000}3`;
    const ref = await workflow('cancel_running', {
      cancellation_policy: 'cancel_running',
      tasks: [
        { name: 'long', action: 'core.local', input: { cmd: `sleep ${marker} & sleep 60; wait` }, on_complete: 'next' },
        { name: 'next', action: 'core.noop' },
      ],
    });
    const run = await execute(ctx.api, ref);
    await waitFor(() => processesWith(`sleep ${marker}`).length > 0, { timeoutMs: 30_000, what: 'the task to start' });
    const asked = Date.now();
    const res = await ctx.api.post(`/api/v1/executions/${run.id}/cancel`);
    expect(res.status).toBe(200);
    const done = await waitForTerminal(ctx.api, run.id, 10_000);
    expect(done.status).toBe('cancelled');
    expect(Date.now() - asked).toBeLessThan(10_000);
    expect(processesWith(`sleep ${marker}`)).toEqual([]);
    const kids = await children(run.id);
    expect(kids.map((k) => [k.workflow_task.task_name, k.status])).toEqual([['long', 'cancelled']]);
  }, 60_000);

  it('allow_finish: the running task finishes, and nothing new starts', async () => {
    const gate = sharedFile('gate');
    const ref = await workflow('allow_finish', {
      tasks: [
        // Waits until the test has asked for the cancel, then succeeds.
        { name: 'first', action: 'core.local', input: { cmd: `while [ ! -s ${gate} ]; do sleep 0.05; done; echo done` }, on_success: 'second' },
        { name: 'second', action: 'core.noop' },
      ],
    });
    const run = await execute(ctx.api, ref);
    const [first] = await waitFor(async () => {
      const kids = await children(run.id);
      return kids.length && kids[0].status === 'running' ? kids : undefined;
    }, { timeoutMs: 30_000, what: 'the first task to run' });
    const res = await ctx.api.post(`/api/v1/executions/${run.id}/cancel`);
    expect(res.status).toBe(200);
    expect((await ctx.api.get(`/api/v1/executions/${run.id}`)).body.data.status).toBe('canceling');
    writeFileSync(gate, 'go');
    const done = await waitForTerminal(ctx.api, run.id, 30_000);
    expect(done.status).toBe('cancelled');
    const kids = await children(run.id);
    expect(kids.map((k) => [k.id, k.status])).toEqual([[first.id, 'completed']]);
  }, 60_000);
});

describe('timeouts', () => {
  it('a task timeout of 2 s on sleep 30: the child times out and the run fails, within 12 s', async () => {
    const ref = await workflow('task_timeout', { tasks: [{ name: 'nap', action: 'core.sleep', input: { seconds: 30 }, timeout: 2 }] });
    const started = Date.now();
    const run = await execute(ctx.api, ref);
    const done = await waitForTerminal(ctx.api, run.id, 12_000);
    expect(Date.now() - started).toBeLessThan(12_000);
    expect(done.status).toBe('failed');
    const [nap] = await children(run.id);
    expect(nap.status).toBe('timeout');
    expect(nap.timeout_seconds).toBe(2);
    expect(done.result.tasks.nap.status).toBe('timed_out');
  }, 30_000);

  it('a workflow timeout ends the run as timeout and cancels what runs', async () => {
    const ref = await workflow('run_timeout', { timeout: 2, tasks: [{ name: 'nap', action: 'core.sleep', input: { seconds: 30 } }] });
    const run = await execute(ctx.api, ref);
    const done = await waitForTerminal(ctx.api, run.id, 12_000);
    expect(done.status).toBe('timeout');
    const [nap] = await children(run.id);
    expect((await waitForTerminal(ctx.api, nap.id, 10_000)).status).toBe('cancelled');
  }, 30_000);
});

describe('sub-workflows', () => {
  it('a task whose action is a workflow runs it as a nested run', async () => {
    const inner = await workflow('inner', {
      parameters: { who: { type: 'string', required: true } },
      tasks: [{ name: 'hello', action: 'core.echo', input: { message: 'hi {{ parameters.who }}' } }],
      output_map: { said: '{{ task.hello.result.stdout | trim }}' },
    });
    const outer = await workflow('outer', {
      tasks: [
        { name: 'call', action: inner, input: { who: 'nested' }, publish: { inner_said: '{{ result().output.said }}' }, on_success: 'after' },
        { name: 'after', action: 'core.echo', input: { message: '{{ vars.inner_said }}' } },
      ],
      output_map: { got: '{{ vars.inner_said }}' },
    });
    const run = await execute(ctx.api, outer);
    const done = await waitForTerminal(ctx.api, run.id, 60_000);
    expect(done.status).toBe('completed');
    expect(done.result.output).toEqual({ got: 'hi nested' });
    const [call] = byTask(await children(run.id), 'call');
    expect(call.action_ref).toBe(inner);
    const [hello] = await children(call.id);
    expect(hello).toMatchObject({ action_ref: 'core.echo', status: 'completed', workflow_task: { workflow_execution: call.id, task_name: 'hello' } });
  }, 60_000);
});

describe('an inquiry task', () => {
  it('pauses the run until a person answers, then goes on with the answer in the task result', async () => {
    const ref = await workflow('approval', {
      tasks: [
        {
          name: 'approve',
          action: 'core.inquiry',
          input: { prompt: 'Ship it?', schema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] } },
          next: [{ when: '{{ succeeded() and result().data.ok }}', publish: [{ answer: '{{ result().data.ok }}' }], do: ['ship'] }],
        },
        { name: 'ship', action: 'core.echo', input: { message: 'shipping' } },
      ],
      output_map: { approved: '{{ vars.answer }}' },
    });
    const run = await execute(ctx.api, ref);
    const inquiry = await waitFor(async () => {
      const [ask] = byTask(await children(run.id), 'approve');
      if (!ask) return undefined;
      const list = await ctx.api.get(`/api/v1/inquiries?execution=${ask.id}`);
      return list.body.data?.[0];
    }, { timeoutMs: 30_000, what: 'the inquiry to be asked' });
    // Waiting on a person: the run is running, no later task exists yet, and no worker holds a
    // slot for it (a heartbeat sent after the question was asked reports nothing running).
    expect((await ctx.api.get(`/api/v1/executions/${run.id}`)).body.data.status).toBe('running');
    expect(byTask(await children(run.id), 'ship')).toEqual([]);
    const [asking] = byTask(await children(run.id), 'approve');
    expect(asking).toMatchObject({ status: 'running', worker: 'executor:inquiry' });
    const workers = await waitFor(async () => {
      const list = (await ctx.api.get('/api/v1/workers')).body.data as any[];
      return list.length && list.every((w) => time(w.last_heartbeat) > time(asking.started_at)) ? list : undefined;
    }, { timeoutMs: 15_000, what: 'heartbeats after the inquiry was asked' });
    expect(workers.every((w: any) => w.running === 0)).toBe(true);
    expect((await ctx.api.post(`/api/v1/inquiries/${inquiry.id}/respond`, { response: { ok: 'yes' } })).status).toBe(422);
    expect((await ctx.api.post(`/api/v1/inquiries/${inquiry.id}/respond`, { response: { ok: true } })).status).toBe(200);
    const done = await waitForTerminal(ctx.api, run.id, 30_000);
    expect(done.status).toBe('completed');
    expect(done.result.output).toEqual({ approved: true });
    expect(byTask(await children(run.id), 'ship').map((k) => k.status)).toEqual(['completed']);
  }, 60_000);

  it('nobody answers: the inquiry task ends in timeout and the run fails, creating nothing after it', async () => {
    const ref = await workflow('approval_unanswered', {
      tasks: [
        { name: 'approve', action: 'core.inquiry', input: { prompt: 'Anyone?', timeout: 1 }, on_success: 'ship' },
        { name: 'ship', action: 'core.noop' },
      ],
    });
    const run = await execute(ctx.api, ref);
    const done = await waitForTerminal(ctx.api, run.id, 30_000);
    expect(done.status).toBe('failed');
    expect(done.result.tasks.approve.status).toBe('timed_out');
    const kids = await children(run.id);
    expect(kids.map((k) => [k.workflow_task.task_name, k.status])).toEqual([['approve', 'timeout']]);
  }, 60_000);
});

describe('an executor killed in the middle of a run', () => {
  it('200 items with one of two executors SIGKILLed: the run completes and every item ran exactly once', async () => {
    const ledger = sharedFile('ledger');
    const ref = await workflow('ledger', {
      vars: { items: Array.from({ length: 200 }, (_, i) => i) },
      tasks: [{ name: 'each', action: 'core.local', with_items: '{{ vars.items }}', concurrency: 10, input: { cmd: `echo {{ item }} >> ${ledger}` } }],
      output_map: { n: '{{ task.each.items | length }}' },
    });
    const run = await execute(ctx.api, ref);
    await waitFor(() => readFileSync(ledger, 'utf8').split('\n').filter(Boolean).length >= 40, { timeoutMs: 60_000, what: '40 items to run' });
    ctx.platform.processOf('executor')!.kill('SIGKILL');
    const done = await waitForTerminal(ctx.api, run.id, 180_000);
    expect(done.status).toBe('completed');
    expect(done.result.output).toEqual({ n: 200 });
    const lines = readFileSync(ledger, 'utf8').split('\n').filter(Boolean).map(Number);
    expect(lines).toHaveLength(200);
    expect(new Set(lines).size).toBe(200);
    const items = byTask(await children(run.id), 'each');
    expect(items).toHaveLength(200);
    expect(items.every((k) => k.status === 'completed' && k.workflow_task.attempt === 1)).toBe(true);
    expect(secondExecutor.process.exitCode).toBeNull();
  }, 240_000);
});
