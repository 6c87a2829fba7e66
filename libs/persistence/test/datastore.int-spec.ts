import { EXECUTOR_HELD_PREFIX } from '@attune/contracts';
import type { INestApplicationContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { KeystoreReader } from '../src/keystore/keystore-reader';
import { KeyValues } from '../src/keystore/key-values';
import { ExecutionRepository } from '../src/repositories/execution.repository';
import { IdentityRepository } from '../src/repositories/identity.repository';
import { InquiryRepository } from '../src/repositories/inquiry.repository';
import { type KeyRepository as KeyRepo, KeyRepository, type KeyWrite } from '../src/repositories/key.repository';
import { openRepositories } from './support';

// The datastore's and inquiries' SQL against real Postgres with the real migrations.

const SECRETS_KEY = 'integration-secrets-key-0123456789abcdef';
const run = randomUUID().slice(0, 8);
let app: INestApplicationContext;
let keys: KeyRepo;
let ds: DataSource;
let values: KeyValues;
let userId: number;
const login = `ds-${run}@example.com`;

beforeAll(async () => {
  app = await openRepositories([KeyRepository, IdentityRepository, ExecutionRepository, InquiryRepository]);
  keys = app.get(KeyRepository);
  ds = app.get(DataSource);
  values = new KeyValues(SECRETS_KEY);
  userId = (await app.get(IdentityRepository).ensure({ login, displayName: null, passwordHash: 'x', roles: ['viewer'] })).id;
});

afterAll(async () => {
  await ds?.query(`DELETE FROM keys WHERE name LIKE $1`, [`%${run}%`]);
  await app?.close();
});

function key(over: Partial<KeyWrite> & Pick<KeyWrite, 'name'>): KeyWrite {
  return { scope: 'system', owner: '', ownerIdentity: null, encrypted: false, value: null, encryptedValue: null, expiresAt: null, createdBy: 'test', ...over };
}

describe('KeyRepository', () => {
  it('keeps one live key per (scope, owner, name), upserts, and lets an expired key be replaced', async () => {
    const name = `a_${run}`;
    await keys.create(key({ name, value: 1 }));
    await expect(keys.create(key({ name, value: 2 }))).rejects.toMatchObject({ code: '23505' });
    // Same name in another scope is another key.
    await keys.create(key({ name, scope: 'user', owner: login, ownerIdentity: userId, value: 'mine' }));
    const up = await keys.upsert(key({ name, value: 3 }));
    expect(up).toMatchObject({ created: false, key: { value: 3 } });
    expect((await keys.find({ scope: 'system', owner: '', name }))?.value).toBe(3);

    const brief = `b_${run}`;
    await keys.create(key({ name: brief, value: 'old', expiresAt: new Date(Date.now() - 1000) }));
    expect(await keys.find({ scope: 'system', owner: '', name: brief })).toBeNull();
    expect((await keys.list({ name: brief }, 1, 10)).total).toBe(0);
    expect(await keys.delete({ scope: 'system', owner: '', name: brief })).toBe(false);
    expect((await keys.create(key({ name: brief, value: 'new' }))).value).toBe('new');
  });

  it('stores an encrypted value only sealed, and refuses a row that breaks that rule', async () => {
    const name = `enc_${run}`;
    const address = { scope: 'system' as const, owner: '', name };
    const sealed = values.seal(address, { password: `p-${run}` });
    await keys.create(key({ name, encrypted: true, encryptedValue: sealed }));
    const [row] = await ds.query(`SELECT row_to_json(k)::text AS t FROM keys k WHERE name = $1`, [name]);
    expect(row.t).not.toContain(`p-${run}`);
    const found = await keys.find(address);
    expect(found?.value).toBeNull();
    expect(values.open(found!, found!.encryptedValue!)).toEqual({ password: `p-${run}` });
    // Bound to its address: the same ciphertext under another name does not open.
    expect(() => values.open({ ...address, name: `other_${run}` }, sealed)).toThrow(/cannot be opened/);
    await expect(ds.query(`INSERT INTO keys (name, scope, encrypted, value) VALUES ($1, 'system', true, '"plain"')`, [`bad_${run}`])).rejects.toThrow(/check constraint/);
  });

  it('deletes expired keys in the sweep and leaves live ones', async () => {
    const gone = `gone_${run}`;
    const kept = `kept_${run}`;
    await keys.create(key({ name: gone, value: 1, expiresAt: new Date(Date.now() - 1) }));
    await keys.create(key({ name: kept, value: 1, expiresAt: new Date(Date.now() + 60_000) }));
    expect(await keys.deleteExpired()).toBeGreaterThanOrEqual(1);
    const names = (await ds.query(`SELECT name FROM keys WHERE name = ANY($1)`, [[gone, kept]])).map((r: { name: string }) => r.name);
    expect(names).toEqual([kept]);
  });

  it('lists user keys only to their user when asked for one identity', async () => {
    const name = `u_${run}`;
    await keys.create(key({ name, scope: 'user', owner: login, ownerIdentity: userId, value: 1 }));
    expect((await keys.list({ name, visibleToIdentity: userId }, 1, 10)).total).toBe(1);
    expect((await keys.list({ name, visibleToIdentity: userId + 1_000_000 }, 1, 10)).total).toBe(0);
  });
});

describe('KeystoreReader', () => {
  it('builds the template scope: user over pack over system, scope objects, encrypted paths', async () => {
    const name = `tok_${run}`;
    const pack = `pk${run}`;
    await ds.query(`INSERT INTO packs (ref, label, version) VALUES ($1, 'p', '1') ON CONFLICT DO NOTHING`, [pack]);
    await keys.create(key({ name, value: 'from-system' }));
    await keys.create(key({ name, scope: 'pack', owner: pack, encrypted: true, encryptedValue: values.seal({ scope: 'pack', owner: pack, name }, 'from-pack') }));
    await keys.create(key({ name: `other_${run}`, scope: 'pack', owner: `${pack}x`, value: 'another pack' }));
    const reader = new KeystoreReader(keys, SECRETS_KEY);

    const forPack = await reader.read({ pack_ref: pack });
    expect(forPack.scope[name]).toBe('from-pack');
    expect(forPack.scope.system[name]).toBe('from-system');
    expect(forPack.scope.pack[name]).toBe('from-pack');
    expect(forPack.scope[`other_${run}`]).toBeUndefined();
    expect(forPack.encryptedPaths.has(`keystore.${name}`)).toBe(true);
    expect(forPack.encryptedPaths.has(`keystore.pack.${name}`)).toBe(true);
    expect(forPack.encryptedPaths.has(`keystore.system.${name}`)).toBe(false);

    await keys.create(key({ name, scope: 'user', owner: login, ownerIdentity: userId, value: 'from-user' }));
    const forUser = await reader.scopeFor({ pack_ref: pack, identity: userId });
    expect(forUser[name]).toBe('from-user');
    expect(forUser.identity[name]).toBe('from-user');
    expect((await reader.read({ pack_ref: pack, identity: userId })).encryptedPaths.has(`keystore.${name}`)).toBe(false);
    expect((await reader.scopeFor({ pack_ref: null, identity: null }))[name]).toBe('from-system');
  });
});

describe('InquiryRepository', () => {
  it('records an execution\'s inquiry once, answers it once, and finds those to settle', async () => {
    const executions = app.get(ExecutionRepository);
    const inquiries = app.get(InquiryRepository);
    const e = await executions.create({ action: null, actionRef: 'core.inquiry', config: {}, timeoutSeconds: 60 } as never);
    await ds.query(`UPDATE executions SET status = 'running' WHERE id = $1`, [e.id]);
    const base = { execution: e.id, title: null, prompt: 'ok?', schema: { type: 'object' }, assignedTo: ['ada'], roles: [], timeoutAt: new Date(Date.now() + 60_000) };
    const first = await inquiries.createOnce(base);
    const again = await inquiries.createOnce({ ...base, prompt: 'different' });
    expect(again.id).toBe(first.id);
    expect(again.prompt).toBe('ok?');
    expect((await inquiries.list({ execution: e.id, assignedTo: 'ada' }, 1, 10)).total).toBe(1);
    expect((await inquiries.list({ execution: e.id, assignedTo: 'bob' }, 1, 10)).total).toBe(0);

    expect(await inquiries.respond(first.id, { ok: true }, 'ada')).toMatchObject({ status: 'responded', response: { ok: true }, respondedBy: 'ada' });
    expect(await inquiries.respond(first.id, { ok: false }, 'ada')).toBeNull();
    expect(await inquiries.close(first.id, 'timeout')).toBeNull();
    // Answered while the execution still runs (a crash between the two writes): the settler must finish it.
    expect((await inquiries.findUnsettled(1000)).map((i) => i.id)).toContain(first.id);

    const late = await executions.create({ action: null, actionRef: 'core.inquiry', config: {}, timeoutSeconds: 60 } as never);
    // The executor holds an inquiry's execution under its own worker name, as inquiry.service does.
    await ds.query(`UPDATE executions SET status = 'running', worker = $2 WHERE id = $1`, [late.id, `${EXECUTOR_HELD_PREFIX}inquiry`]);
    const overdue = await inquiries.createOnce({ ...base, execution: late.id, timeoutAt: new Date(Date.now() - 1) });
    expect((await inquiries.findUnsettled(1000)).find((i) => i.id === overdue.id)).toMatchObject({ status: 'pending', executionStatus: 'running' });
    expect(await inquiries.close(overdue.id, 'timeout')).toMatchObject({ status: 'timeout' });
    // An inquiry's execution is never taken for one on a lost worker; one on an unknown worker is.
    const stray = await executions.create({ action: null, actionRef: 'core.local', config: {}, timeoutSeconds: 60 } as never);
    await ds.query(`UPDATE executions SET status = 'running', worker = $2 WHERE id = $1`, [stray.id, `gone-${run}`]);
    const lost = (await executions.findOnLostWorkers(0, 100_000)).map((x) => x.id);
    expect(lost).not.toContain(late.id);
    expect(lost).toContain(stray.id);
    await ds.query(`UPDATE executions SET status = 'failed' WHERE id = $1`, [stray.id]);
  });
});
