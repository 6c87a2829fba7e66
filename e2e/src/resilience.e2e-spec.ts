import { waitFor } from '@attune/testing';
import { execSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execute, submitUnderLoad, usePlatform, waitForTerminal } from './support';

const ctx = usePlatform('resilience');

describe('nothing accepted is lost', () => {
  it('an executor stopped and started again runs what was submitted in between', async () => {
    await ctx.platform.stop('executor');
    const submitted = [];
    for (let i = 0; i < 5; i++) submitted.push(await execute(ctx.api, 'core.echo', { message: `while away ${i}` }));
    // Nothing moves without an executor.
    const pending = await ctx.api.get(`/api/v1/executions/${submitted[4].id}`);
    expect(pending.body.data.status).toBe('requested');

    await ctx.platform.start('executor');
    for (const [i, e] of submitted.entries()) {
      const done = await waitForTerminal(ctx.api, e.id, 30_000);
      expect(done.status).toBe('completed');
      expect(done.result.stdout).toBe(`while away ${i}\n`);
    }
  });

  it('after a broker restart, executions submitted afterwards complete with no service restarted', async () => {
    execSync('rabbitmqctl stop_app', { stdio: 'ignore' });
    try {
      // While the broker is down, requests are still accepted and recorded.
      const during = await execute(ctx.api, 'core.echo', { message: 'during the outage' });
      expect(during.status).toBe('requested');
      execSync('rabbitmqctl start_app', { stdio: 'ignore' });
      await waitFor(async () => (await fetch(ctx.platform.healthUrl('worker'))).status === 200, {
        timeoutMs: 60_000,
        intervalMs: 250,
        what: 'the worker to reconnect',
      });
      const after = await execute(ctx.api, 'core.echo', { message: 'after the restart' });
      const done = await waitForTerminal(ctx.api, after.id, 60_000);
      expect(done.status).toBe('completed');
      expect(done.result.stdout).toBe('after the restart\n');
      // The one accepted during the outage is picked up too (announced late or swept).
      const late = await waitForTerminal(ctx.api, during.id, 60_000);
      expect(late.status).toBe('completed');
    } finally {
      execSync('rabbitmqctl start_app', { stdio: 'ignore' });
    }
    for (const s of ['api', 'executor', 'worker', 'artifact-store'] as const) {
      const res = await waitFor(async () => (await fetch(ctx.platform.healthUrl(s))).status === 200, { timeoutMs: 30_000, what: `${s} healthy` });
      expect(res).toBe(true);
    }
  });

  it('a batch of 200 with a broker restart in the middle: every one ends, none runs twice', async () => {
    const ledger = join(tmpdir(), `attune-ledger-${Date.now()}`);
    // Each action runs as its own uid: the ledger must be writable by all of them.
    writeFileSync(ledger, '');
    chmodSync(ledger, 0o666);
    const cmd = `echo "$ATTUNE_EXEC_ID" >> ${ledger}; sleep 0.2`;
    const ids: number[] = [];
    const submit = async () => void ids.push((await execute(ctx.api, 'core.local', { cmd })).id);
    await submitUnderLoad(200, 10, submit, {
      60: () => {
        execSync('rabbitmqctl stop_app', { stdio: 'ignore' });
        setTimeout(() => execSync('rabbitmqctl start_app', { stdio: 'ignore' }), 3000);
      },
    });
    expect(ids).toHaveLength(200);
    const finals = [];
    for (const id of ids) finals.push(await waitForTerminal(ctx.api, id, 120_000));
    // core.local's policy is abandon: nothing is run again by policy, so each ran at most once.
    const runs = new Map<number, number>();
    for (const line of readFileSync(ledger, 'utf8').trim().split('\n')) runs.set(Number(line), (runs.get(Number(line)) ?? 0) + 1);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
    for (const e of finals) {
      expect(['completed', 'abandoned']).toContain(e.status);
      if (e.status === 'completed') expect(runs.get(e.id)).toBe(1);
    }
    expect(finals.filter((e) => e.status === 'completed').length).toBeGreaterThan(190);
  }, 300_000);
});
