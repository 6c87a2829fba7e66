import { waitFor } from '@attune/testing';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execute, QUICK_WORKER_LOSS_ENV, usePlatform, waitForTerminal } from './support';

/** How long the api waits for the executor's answer to a cancel. */
const CANCEL_TIMEOUT_MS = 3000;

// Short loss detection so the test runs quickly.
const ctx = usePlatform('control', { ...QUICK_WORKER_LOSS_ENV, ATTUNE_KILL_GRACE_MS: '1000', ATTUNE_CANCEL_TIMEOUT_MS: String(CANCEL_TIMEOUT_MS) });

/** Command lines of live processes containing `marker`, read from /proc (none once an action's group is gone). */
function processesWith(marker: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    } catch {
      continue; // exited while we looked
    }
    if (cmdline.includes(marker)) found.push(`${pid} ${cmdline}`);
  }
  return found;
}

async function waitForStatus(id: number, status: string, timeoutMs = 15_000) {
  return waitFor(
    async () => {
      const res = await ctx.api.get(`/api/v1/executions/${id}`);
      return res.body.data.status === status ? res.body.data : undefined;
    },
    { timeoutMs, what: `execution ${id} to be ${status}` },
  );
}

describe('timeouts', () => {
  it('kills the process group at the timeout and records timeout', async () => {
    const marker = `3${Date.now() % 100000}7`;
    const started = Date.now();
    const e = await execute(ctx.api, 'core.local', { cmd: `sleep ${marker} & sleep 30; wait` }, { timeout_seconds: 2 });
    const done = await waitForTerminal(ctx.api, e.id, 10_000);
    expect(done.status).toBe('timeout');
    expect(done.result).toMatchObject({ timed_out: true, succeeded: false, error: 'Timed out after 2s' });
    expect(Date.now() - started).toBeLessThan(5000 + 1000);
    expect(processesWith(`sleep ${marker}`)).toEqual([]);
  });
});

describe('cancel', () => {
  it('cancels a running execution and its children', async () => {
    const marker = `4${Date.now() % 100000}1`;
    const e = await execute(ctx.api, 'core.local', { cmd: `sleep ${marker} & sleep 60; wait` });
    await waitForStatus(e.id, 'running');
    await waitFor(() => processesWith(`sleep ${marker}`).length > 0, { what: 'the child to start' });
    const res = await ctx.api.post(`/api/v1/executions/${e.id}/cancel`);
    expect(res.status).toBe(200);
    expect(['canceling', 'cancelled']).toContain(res.body.data.status);
    const done = await waitForTerminal(ctx.api, e.id, 10_000);
    expect(done.status).toBe('cancelled');
    expect(done.result).toMatchObject({ cancelled: true, succeeded: false });
    expect(processesWith(`sleep ${marker}`)).toEqual([]);
  });

  it('answers 409 for an execution already terminal, and 404 for an unknown one', async () => {
    const e = await execute(ctx.api, 'core.noop');
    await waitForTerminal(ctx.api, e.id);
    const res = await ctx.api.post(`/api/v1/executions/${e.id}/cancel`);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('CONFLICT');
    expect((await ctx.api.post('/api/v1/executions/99999999/cancel')).status).toBe(404);
  });

  it('answers 503 within its timeout while the executor is down, and the refused cancel is not applied later', async () => {
    const e = await execute(ctx.api, 'core.local', { cmd: 'sleep 60' });
    await waitForStatus(e.id, 'running');
    await ctx.platform.stop('executor');
    let elapsed: number;
    try {
      const started = Date.now();
      const res = await ctx.api.post(`/api/v1/executions/${e.id}/cancel`);
      elapsed = Date.now() - started;
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE', error: expect.stringContaining('the executor') });
    } finally {
      await ctx.platform.start('executor');
    }
    expect(elapsed).toBeGreaterThanOrEqual(CANCEL_TIMEOUT_MS - 100);
    expect(elapsed).toBeLessThan(CANCEL_TIMEOUT_MS + 5000);
    // The executor's queue is in order: once an execution submitted now has completed, the
    // expired cancel before it has been dropped, not applied.
    expect((await waitForTerminal(ctx.api, (await execute(ctx.api, 'core.noop')).id, 30_000)).status).toBe('completed');
    expect((await ctx.api.get(`/api/v1/executions/${e.id}`)).body.data.status).toBe('running');
    const again = await ctx.api.post(`/api/v1/executions/${e.id}/cancel`);
    expect(again.status).toBe(200);
    expect(['canceling', 'cancelled']).toContain(again.body.data.status);
    expect((await waitForTerminal(ctx.api, e.id, 10_000)).status).toBe('cancelled');
  });

  it('cancels a queued execution without ever running it', async () => {
    await ctx.platform.stop('worker');
    const marker = join(tmpdir(), `attune-queued-${Date.now()}`);
    const e = await execute(ctx.api, 'core.local', { cmd: `touch ${marker}` });
    await waitForStatus(e.id, 'scheduled');
    const res = await ctx.api.post(`/api/v1/executions/${e.id}/cancel`);
    expect(res.status).toBe(200);
    expect(res.body.data.status).toBe('cancelled');
    expect(res.body.data.result).toMatchObject({ cancelled: true, error: 'Cancelled before it started' });
    await ctx.platform.start('worker');
    // The worker takes the queued dispatch and must skip it: a later execution completes first.
    const after = await waitForTerminal(ctx.api, (await execute(ctx.api, 'core.noop')).id);
    expect(after.status).toBe('completed');
    await waitFor(async () => (await ctx.api.get(`/api/v1/executions/${e.id}`)).body.data.status === 'cancelled', { timeoutMs: 3000 });
    expect(existsSync(marker)).toBe(false);
  });
});

describe('worker loss', () => {
  it('abandons an execution whose worker is killed mid-run (policy abandon)', async () => {
    const e = await execute(ctx.api, 'core.local', { cmd: 'sleep 60' });
    const running = await waitForStatus(e.id, 'running');
    ctx.platform.processOf('worker')!.kill('SIGKILL');
    const done = await waitForTerminal(ctx.api, e.id, 30_000);
    expect(done.status).toBe('abandoned');
    expect(done.result.error).toMatch(/was lost .*abandoned \(policy abandon\)/);
    // The executor decided the worker is gone before it abandoned the run; GET /workers says so.
    const workers = (await ctx.api.get('/api/v1/workers?per_page=100')).body.data as Array<{ name: string; status: string }>;
    expect(workers.find((w) => w.name === running.worker)?.status).toBe('stale');
    await ctx.platform.start('worker');
  });

  it('dispatches again to another worker when the policy is retry', async () => {
    const second = await ctx.platform.startExtra('worker');
    try {
      const e = await execute(ctx.api, 'core.sleep', { seconds: 4 });
      const running = await waitForStatus(e.id, 'running');
      // Kill whichever worker took it.
      const victim = running.worker.endsWith(`-${second.process.pid}`) ? second.process : ctx.platform.processOf('worker')!;
      victim.kill('SIGKILL');
      const done = await waitForTerminal(ctx.api, e.id, 40_000);
      expect(done.status).toBe('completed');
      expect(done.attempt).toBe(2);
      expect(done.worker).not.toBe(running.worker);
    } finally {
      await second.stop();
      if (!ctx.platform.isRunning('worker')) await ctx.platform.start('worker');
    }
  });
});
