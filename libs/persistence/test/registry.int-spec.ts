import type { INestApplicationContext } from '@nestjs/common';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/data-source';
import { ActionRepository, type ActionInput, PackRepository } from '../src/repositories/action.repository';
import { ExecutionRepository } from '../src/repositories/execution.repository';
import { IdentityRepository } from '../src/repositories/identity.repository';
import { PackRegistryRepository } from '../src/repositories/pack-registry.repository';
import { WorkerRepository } from '../src/repositories/worker.repository';
import { openRepositories, persistenceTestDatabase } from './support';

// A database of its own: the rules checked here (the last administrator, the only live worker)
// depend on every row of a table, which the shared test database fills with other tests' rows.
const suffix = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6)}`;
let url: string;

let app: INestApplicationContext;
let registry: PackRegistryRepository;
let identities: IdentityRepository;
let executions: ExecutionRepository;

const action = (ref: string, over: Partial<ActionInput> = {}): ActionInput => ({
  ref,
  label: ref,
  description: null,
  runtime: 'python',
  entrypoint: 'actions/a.py',
  entrypointInline: false,
  paramSchema: { type: 'object', properties: {} },
  outSchema: null,
  outputFormat: 'json',
  timeoutSeconds: null,
  enabled: true,
  ...over,
});
const version = (digest: string) => ({ digest, sizeBytes: 10, blobKey: `packs/sha256/${digest}.tar.gz`, files: [{ path: 'actions/a.py', size: 3 }], uploadedBy: null });
const pack = { ref: 'demo', label: 'Demo', version: '1', description: null, isStandard: false };

beforeAll(async () => {
  url = await persistenceTestDatabase(`registry_${suffix}`);
  app = await openRepositories([PackRegistryRepository, IdentityRepository, ExecutionRepository, PackRepository, ActionRepository, WorkerRepository], url);
  registry = app.get(PackRegistryRepository);
  identities = app.get(IdentityRepository);
  executions = app.get(ExecutionRepository);
});

afterAll(async () => {
  await app?.close();
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS "attune_test_registry_${suffix}" WITH (FORCE)`);
  await client.end();
});

describe('the registry migration', () => {
  it('reverts and applies again', async () => {
    const ds = new DataSource(dataSourceOptions({ url, poolSize: 1 }));
    await ds.initialize();
    try {
      const names = async () => (await ds.query(`SELECT name FROM migrations ORDER BY id`)).map((r: { name: string }) => r.name);
      while ((await names()).includes('Registry1763800000000')) await ds.undoLastMigration({ transaction: 'each' });
      const columns = await ds.query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'executions' AND column_name = 'waiting_reason'`);
      expect(columns).toEqual([]);
      await ds.runMigrations({ transaction: 'each' });
      expect(await names()).toContain('Registry1763800000000');
    } finally {
      await ds.destroy();
    }
  });
});

describe('PackRegistryRepository', () => {
  it('registers an upload, then makes the actions exactly those of the next one', async () => {
    const first = await registry.registerUpload(pack, [action('demo.a'), action('demo.b')], version('a'.repeat(64)));
    expect(first).toMatchObject({ newVersion: true, removedActions: [], pack: { ref: 'demo', digest: 'a'.repeat(64) } });
    const second = await registry.registerUpload({ ...pack, version: '2' }, [action('demo.a')], version('b'.repeat(64)));
    expect(second).toMatchObject({ newVersion: true, removedActions: ['demo.b'], pack: { version: '2', digest: 'b'.repeat(64) } });
    const same = await registry.registerUpload({ ...pack, version: '2' }, [action('demo.a')], version('b'.repeat(64)));
    expect(same).toMatchObject({ newVersion: false });
    const p = await app.get(PackRepository).findByRef('demo');
    expect((await registry.listVersions(p!.id)).map((v) => v.digest)).toEqual(['b'.repeat(64), 'a'.repeat(64)]);
  });

  it('refuses to drop or delete an action that unfinished executions use', async () => {
    const a = await app.get(ActionRepository).findByRef('demo.a');
    const run = await executions.create({ action: a!.id, actionRef: 'demo.a', config: {}, timeoutSeconds: 60 });
    expect(await registry.registerUpload(pack, [action('demo.c')], version('c'.repeat(64)))).toEqual({ refused: 'active_executions', actions: ['demo.a'] });
    expect(await registry.deleteAction('demo.a')).toEqual({ refused: 'active_executions', actions: ['demo.a'] });
    expect(await registry.deletePack('demo')).toEqual({ refused: 'active_executions', actions: ['demo.a'] });
    await executions.transition(run.id, 'failed', { finishedAt: new Date() });
    expect(await registry.deleteAction('demo.a')).toEqual({ deleted: true });
  });

  it('refuses to delete an action, or its pack, while a saved workflow elsewhere runs it', async () => {
    await registry.registerUpload({ ...pack, ref: 'tools' }, [action('tools.build')], version('e'.repeat(64)));
    const flow = action('flows.ship', { runtime: 'workflow', entrypoint: 'workflows/ship.yaml', workflowDefinition: { tasks: [{ name: 'b', action: 'tools.build' }] } } as Partial<ActionInput>);
    await registry.registerUpload({ ...pack, ref: 'flows' }, [flow], version('f'.repeat(64)));
    expect(await registry.deleteAction('tools.build')).toEqual({ refused: 'used_by_workflows', workflows: ['flows.ship'] });
    expect(await registry.deletePack('tools')).toEqual({ refused: 'used_by_workflows', workflows: ['flows.ship'] });
    expect(await registry.registerUpload({ ...pack, ref: 'tools' }, [action('tools.lint')], version('9'.repeat(64)))).toEqual({ refused: 'used_by_workflows', workflows: ['flows.ship'] });
    // A pack goes with its own workflows; then the action is free.
    expect(await registry.deletePack('flows')).toMatchObject({ blobKeys: ['packs/sha256/' + 'f'.repeat(64) + '.tar.gz'] });
    expect(await registry.deleteAction('tools.build')).toEqual({ deleted: true });
  });

  it('never changes a built-in pack', async () => {
    await app.get(PackRepository).upsertWithActions({ ...pack, ref: 'builtin', isStandard: true }, [action('builtin.x', { runtime: 'shell', entrypoint: 'true', entrypointInline: true })]);
    expect(await registry.registerUpload({ ...pack, ref: 'builtin' }, [], version('d'.repeat(64)))).toEqual({ refused: 'standard_pack' });
    expect(await registry.updateAction('builtin.x', { enabled: false })).toEqual({ refused: 'standard_pack' });
    expect(await registry.deletePack('builtin')).toEqual({ refused: 'standard_pack' });
  });
});

describe('executions waiting for a worker', () => {
  it('park in scheduled with a reason, are found by runtime, and are claimed once', async () => {
    await registry.createPack({ ...pack, ref: 'wait' });
    const a = await registry.createAction('wait', action('wait.py'));
    const run = await executions.create({ action: (a as { id: number }).id, actionRef: 'wait.py', config: {}, timeoutSeconds: 60 });
    await executions.transition(run.id, 'scheduling');
    // The pack's archive when it is first scheduled is the one it keeps.
    const packs = app.get(PackRepository);
    const waitPack = (await packs.findByRef('wait'))!;
    expect(await executions.fixPackDigest(run.id, waitPack.id)).toEqual({ digest: null });
    await app.get(DataSource).query(`UPDATE packs SET digest = $2 WHERE id = $1`, [waitPack.id, 'e'.repeat(64)]);
    expect(await executions.fixPackDigest(run.id, waitPack.id)).toEqual({ digest: 'e'.repeat(64) });
    await app.get(DataSource).query(`UPDATE packs SET digest = $2 WHERE id = $1`, [waitPack.id, 'f'.repeat(64)]);
    expect(await executions.fixPackDigest(run.id, waitPack.id)).toEqual({ digest: 'e'.repeat(64) });
    const parked = await executions.parkWaiting(run.id, 'no python');
    expect(parked).toMatchObject({ status: 'scheduled', waitingReason: 'no python', packDigest: 'e'.repeat(64) });
    expect(await executions.findWaiting(['shell'], 10)).not.toContain(run.id);
    expect(await executions.findWaiting(['python'], 10)).toContain(run.id);
    const [one, two] = await Promise.all([executions.claimWaiting(run.id), executions.claimWaiting(run.id)]);
    expect([one?.status, two?.status].sort()).toEqual(['scheduling', undefined].sort());
    // A dispatched `scheduled` execution is never claimed back.
    await executions.transition(run.id, 'scheduled');
    expect(await executions.claimWaiting(run.id)).toBeNull();
  });
});

describe('WorkerRepository.findLive', () => {
  it('answers online workers of the pool with the runtime, heard from recently', async () => {
    const workers = app.get(WorkerRepository);
    const now = new Date();
    const beat = (name: string, over: Record<string, unknown>) =>
      workers.recordHeartbeat({ name, hostname: 'h', pool: 'default', namespace: 'ns', runtimes: ['shell', 'python'], status: 'online', running: 0, capacity: 2, lastHeartbeat: now, ...over });
    await beat('live', {});
    await beat('shell-only', { runtimes: ['shell'] });
    await beat('draining', { status: 'draining' });
    await beat('silent', { lastHeartbeat: new Date(Date.now() - 60_000) });
    await beat('elsewhere', { pool: 'gpu' });
    await beat('other-platform', { namespace: 'other' });
    expect((await workers.findLive('ns', 'default', 'python', 15_000)).map((w) => w.name)).toEqual(['live']);
    expect((await workers.findLive('ns', 'default', 'shell', 15_000)).map((w) => w.name).sort()).toEqual(['live', 'shell-only']);
  });

  it('marks workers silent past the threshold stale, in its namespace only, until their next heartbeat', async () => {
    const workers = app.get(WorkerRepository);
    const beat = (name: string, over: Record<string, unknown>) =>
      workers.recordHeartbeat({ name, hostname: 'h', pool: 'default', namespace: 'ms', runtimes: ['shell'], status: 'online', running: 0, capacity: 1, lastHeartbeat: new Date(), ...over });
    const old = new Date(Date.now() - 60_000);
    await beat('ms-live', {});
    await beat('ms-silent', { lastHeartbeat: old });
    await beat('ms-draining-silent', { status: 'draining', lastHeartbeat: old });
    await beat('ms-offline', { status: 'offline', lastHeartbeat: old });
    await beat('ms-elsewhere', { namespace: 'other-ms', lastHeartbeat: old });
    expect((await workers.markStale('ms', 15_000)).sort()).toEqual(['ms-draining-silent', 'ms-silent']);
    const status = async () => Object.fromEntries((await workers.list(1, 100)).items.filter((w) => w.name.startsWith('ms-')).map((w) => [w.name, w.status]));
    expect(await status()).toEqual({ 'ms-live': 'online', 'ms-silent': 'stale', 'ms-draining-silent': 'stale', 'ms-offline': 'offline', 'ms-elsewhere': 'online' });
    // Marked once: a second pass finds nothing new.
    expect(await workers.markStale('ms', 15_000)).toEqual([]);
    await beat('ms-silent', {});
    expect((await status())['ms-silent']).toBe('online');
  });
});

describe('IdentityRepository', () => {
  it('never leaves the database without an active administrator', async () => {
    const admin = await identities.ensure({ login: 'root', displayName: null, passwordHash: 'x', roles: ['admin'] });
    expect(await identities.update(admin.id, { roles: ['viewer'] })).toBe('last_admin');
    expect(await identities.update(admin.id, { isActive: false })).toBe('last_admin');
    expect(await identities.delete(admin.id)).toBe('last_admin');
    expect((await identities.findById(admin.id))?.roles).toEqual(['admin']);

    const second = await identities.create({ login: 'second', displayName: null, passwordHash: 'x', roles: ['admin'] });
    expect(await identities.create({ login: 'second', displayName: null, passwordHash: 'y', roles: [] })).toBeNull();
    const [a, b] = await Promise.all([identities.update(admin.id, { roles: ['viewer'] }), identities.update(second!.id, { roles: ['viewer'] })]);
    // Two demotions at once: one wins, the other is refused.
    expect([a, b].filter((r) => r === 'last_admin')).toHaveLength(1);
  });

  it('refuses roles the platform does not know', async () => {
    await expect(identities.create({ login: 'odd', displayName: null, passwordHash: 'x', roles: ['superuser'] })).rejects.toThrow();
  });
});
