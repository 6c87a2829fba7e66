import { DataSource } from 'typeorm';
import { openRepositories } from './support';
import { ExecutionRepository } from '../src/repositories/execution.repository';
import { PackRepository, ActionRepository } from '../src/repositories/action.repository';
import { WorkerRepository } from '../src/repositories/worker.repository';
import { IdentityRepository } from '../src/repositories/identity.repository';
import type { INestApplicationContext } from '@nestjs/common';

let app: INestApplicationContext;
let executions: ExecutionRepository;
let actionId: number;
const suffix = `${Date.now()}${Math.floor(Math.random() * 1000)}`;

beforeAll(async () => {
  app = await openRepositories([ExecutionRepository, PackRepository, ActionRepository, WorkerRepository, IdentityRepository]);
  executions = app.get(ExecutionRepository);
  const packs = app.get(PackRepository);
  await packs.upsertWithActions(
    { ref: `p${suffix}`, label: 'P', version: '1.0.0', description: null, isStandard: false },
    [
      {
        ref: `p${suffix}.a`, label: 'A', description: null, runtime: 'shell', entrypoint: 'true', entrypointInline: true,
        paramSchema: { type: 'object', properties: {} }, outSchema: null, outputFormat: 'text', timeoutSeconds: null, enabled: true,
      },
    ],
  );
  actionId = (await app.get(ActionRepository).findByRef(`p${suffix}.a`))!.id;
});

afterAll(async () => {
  await app?.close();
});

async function newExecution() {
  return executions.create({ action: actionId, actionRef: `p${suffix}.a`, config: { x: 1 }, timeoutSeconds: 60 });
}

describe('ExecutionRepository (real Postgres, real migrations)', () => {
  it('creates an execution as requested with numeric ids', async () => {
    const e = await newExecution();
    expect(typeof e.id).toBe('number');
    expect(e.status).toBe('requested');
    expect(e.config).toEqual({ x: 1 });
  });

  it('walks the happy path through guarded transitions', async () => {
    const e = await newExecution();
    expect((await executions.transition(e.id, 'scheduling'))?.status).toBe('scheduling');
    expect((await executions.transition(e.id, 'scheduled'))?.status).toBe('scheduled');
    const started = new Date('2026-01-01T00:00:00Z');
    const running = await executions.transition(e.id, 'running', { worker: 'w1', startedAt: started });
    expect(running).toMatchObject({ status: 'running', worker: 'w1' });
    expect(new Date(running!.startedAt!).toISOString()).toBe(started.toISOString());
    const done = await executions.transition(e.id, 'completed', {
      result: { exit_code: 0, succeeded: true, duration_ms: 3, stdout: 'ok', stdout_truncated: false },
      finishedAt: new Date(),
      startedAt: new Date('2030-01-01T00:00:00Z'),
    });
    expect(done?.result).toMatchObject({ exit_code: 0, stdout: 'ok' });
    // The first recorded start wins over a later report.
    expect(new Date(done!.startedAt!).toISOString()).toBe(started.toISOString());
  });

  it('refuses transitions out of a terminal status, so duplicates are harmless', async () => {
    const e = await newExecution();
    await executions.transition(e.id, 'scheduling');
    await executions.transition(e.id, 'failed');
    expect(await executions.transition(e.id, 'running')).toBeNull();
    expect(await executions.transition(e.id, 'completed')).toBeNull();
    expect((await executions.findById(e.id))?.status).toBe('failed');
  });

  it('lets a start report arrive before scheduled is recorded, and then ignores scheduled', async () => {
    const e = await newExecution();
    await executions.transition(e.id, 'scheduling');
    expect((await executions.transition(e.id, 'running', { worker: 'w' }))?.status).toBe('running');
    expect(await executions.transition(e.id, 'scheduled')).toBeNull();
  });

  it('applies each transition once under concurrency', async () => {
    const e = await newExecution();
    await executions.transition(e.id, 'scheduling');
    const results = await Promise.all(Array.from({ length: 8 }, () => executions.transition(e.id, 'scheduled')));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('records a result that comes without a start report (a fast run) in one UPDATE, with its start time', async () => {
    const e = await newExecution();
    await executions.transition(e.id, 'scheduling');
    await executions.transition(e.id, 'scheduled');
    const startedAt = new Date(Date.now() - 5);
    const done = await executions.transition(e.id, 'completed', { attempt: 1, worker: 'w', result: { exit_code: 0 } as never, startedAt, finishedAt: new Date() });
    expect(done).toMatchObject({ status: 'completed', worker: 'w', startedAt });
    // A start report sent after all (its timer fired as the run ended) changes nothing.
    expect(await executions.transition(e.id, 'running', { attempt: 1, worker: 'w' })).toBeNull();
  });

  it('grants one of two claims on copies of one dispatch, and refuses a stale attempt (the executor\'s claim)', async () => {
    const e = await newExecution();
    await executions.transition(e.id, 'scheduling');
    await executions.transition(e.id, 'scheduled');
    expect(await executions.transition(e.id, 'running', { attempt: 2, worker: 'w-stale' })).toBeNull();
    const claims = await Promise.all(['w1', 'w2', 'w3'].map((worker) => executions.transition(e.id, 'running', { attempt: 1, worker, startedAt: new Date() })));
    expect(claims.filter(Boolean)).toHaveLength(1);
    // A redelivery claimed after the start was recorded is refused too.
    expect(await executions.transition(e.id, 'running', { attempt: 1, worker: 'w4' })).toBeNull();
  });

  it('ignores a report from an earlier attempt', async () => {
    const e = await newExecution();
    await executions.transition(e.id, 'scheduling');
    await executions.transition(e.id, 'running', { worker: 'w-old', attempt: 1 });
    const again = await executions.requeueForRetry(e.id, 1);
    expect(again).toMatchObject({ status: 'requested', attempt: 2, worker: null, startedAt: null });
    // The same loss handled twice (two executors) requeues once.
    expect(await executions.requeueForRetry(e.id, 1)).toBeNull();
    await executions.transition(e.id, 'scheduling');
    expect(await executions.transition(e.id, 'completed', { attempt: 1 })).toBeNull();
    expect((await executions.transition(e.id, 'running', { attempt: 2, worker: 'w-new' }))?.worker).toBe('w-new');
  });

  it('finds executions running on stale or unknown workers, after a grace period', async () => {
    const ds = app.get(DataSource);
    const workers = app.get(WorkerRepository);
    const alive = `alive${suffix}`;
    const silent = `silent${suffix}`;
    const base = { hostname: 'h', pool: 'default', runtimes: ['shell' as const], running: 1, capacity: 4, status: 'online' };
    await workers.recordHeartbeat({ ...base, name: alive, lastHeartbeat: new Date() });
    await workers.recordHeartbeat({ ...base, name: silent, lastHeartbeat: new Date(Date.now() - 3_600_000) });
    const ids: Record<string, number> = {};
    for (const w of [alive, silent, `ghost${suffix}`]) {
      const e = await newExecution();
      await executions.transition(e.id, 'scheduling');
      await executions.transition(e.id, 'running', { worker: w });
      ids[w] = e.id;
    }
    await ds.query(`UPDATE executions SET updated = now() - interval '1 minute' WHERE id = ANY($1)`, [Object.values(ids)]);
    // Silence alone is not loss: the executor decides it, by marking the worker stale.
    expect((await executions.findOnLostWorkers(30_000, 1000)).map((e) => e.id)).not.toContain(ids[silent]);
    const marked = await workers.markStale('', 30_000);
    expect(marked).toContain(silent);
    expect(marked).not.toContain(alive);
    const lost = (await executions.findOnLostWorkers(30_000, 1000)).map((e) => e.id);
    expect(lost).toEqual(expect.arrayContaining([ids[silent], ids[`ghost${suffix}`]]));
    expect(lost).not.toContain(ids[alive]);
    // Within the grace period nothing is lost yet.
    await ds.query(`UPDATE executions SET updated = now() WHERE id = $1`, [ids[silent]]);
    expect((await executions.findOnLostWorkers(30_000, 1000)).map((e) => e.id)).not.toContain(ids[silent]);
  });

  it('finds stale executions by status and age', async () => {
    const e = await newExecution();
    await app.get(DataSource).query(`UPDATE executions SET updated = now() - interval '1 hour' WHERE id = $1`, [e.id]);
    const stale = await executions.findStale(['requested'], 60_000, 1000);
    expect(stale.map((s) => s.id)).toContain(e.id);
    const fresh = await newExecution();
    expect((await executions.findStale(['requested'], 60_000, 1000)).map((s) => s.id)).not.toContain(fresh.id);
  });

  it('lists with filters and counts', async () => {
    const e = await newExecution();
    const { items, total } = await executions.list({ actionRef: `p${suffix}.a` }, 1, 2);
    expect(items.length).toBeLessThanOrEqual(2);
    expect(total).toBeGreaterThanOrEqual(1);
    expect(items[0].id).toBe(e.id);
  });
});

describe('other repositories', () => {
  it('upserting a pack twice keeps one row per ref', async () => {
    const packs = app.get(PackRepository);
    const input = { ref: `q${suffix}`, label: 'Q', version: '1.0.0', description: null, isStandard: false };
    const first = await packs.upsertWithActions(input, []);
    const second = await packs.upsertWithActions({ ...input, version: '1.0.1' }, []);
    expect(second.id).toBe(first.id);
    expect(second.version).toBe('1.0.1');
  });

  it('ensure() creates an identity once and keeps the existing one', async () => {
    const ids = app.get(IdentityRepository);
    const a = await ids.ensure({ login: `u${suffix}`, displayName: 'U', passwordHash: 'h1', roles: ['admin'] });
    const b = await ids.ensure({ login: `u${suffix}`, displayName: 'U', passwordHash: 'h2', roles: [] });
    expect(b.id).toBe(a.id);
    expect(b.passwordHash).toBe('h1');
  });

  it('a late heartbeat never overwrites a newer one', async () => {
    const workers = app.get(WorkerRepository);
    // A namespace of its own: the shared test database holds many other tests' workers.
    const base = { name: `w${suffix}`, hostname: 'h', pool: 'default', runtimes: ['shell' as const], running: 0, capacity: 4, namespace: `ns${suffix}` };
    await workers.recordHeartbeat({ ...base, status: 'online', lastHeartbeat: new Date('2026-01-01T00:00:10Z') });
    await workers.recordHeartbeat({ ...base, status: 'offline', lastHeartbeat: new Date('2026-01-01T00:00:05Z') });
    const { items } = await workers.list(1, 100, base.namespace);
    expect(items.find((w) => w.name === base.name)?.status).toBe('online');
  });
});
