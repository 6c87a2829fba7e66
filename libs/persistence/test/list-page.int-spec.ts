import { DomainError } from '@attune/contracts';
import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { EventRepository } from '../src/repositories/event.repository';
import { ExecutionRepository } from '../src/repositories/execution.repository';
import { EXACT_TOTAL_LIMIT } from '../src/repositories/list-page';
import { openRepositories } from './support';

let app: INestApplicationContext;
let ds: DataSource;
let executions: ExecutionRepository;
const suffix = `${Date.now()}${Math.floor(Math.random() * 1000)}`;
const ref = `lp${suffix}.seeded`;
const SEEDED = EXACT_TOTAL_LIMIT + 250;
let seededIds: number[];

beforeAll(async () => {
  app = await openRepositories([ExecutionRepository, EventRepository]);
  ds = app.get(DataSource);
  executions = app.get(ExecutionRepository);
  // Rows an hour old, ten per `created` value: ties on created are broken by id, so the walk must
  // use both. Every 40th failed (exactly 257 of them).
  const rows: Array<{ id: number }> = await ds.query(
    `INSERT INTO executions (action_ref, status, timeout_seconds, created, updated)
     SELECT $1, CASE WHEN g % 40 = 0 THEN 'failed' ELSE 'completed' END, 60,
            now() - interval '1 hour' + (g / 10) * interval '1 millisecond', now() - interval '1 hour'
       FROM generate_series(1, $2::int) g
     RETURNING id`,
    [ref, SEEDED],
  );
  seededIds = rows.map((r) => Number(r.id));
  await ds.query('ANALYZE executions');
}, 120_000);

afterAll(async () => {
  await ds?.query(`DELETE FROM executions WHERE action_ref = $1`, [ref]);
  await app?.close();
});

describe('list pages (real Postgres)', () => {
  it('walks every row once by cursor, newest first, while newer rows are inserted', async () => {
    const seen: number[] = [];
    let cursor: string | undefined;
    let previous: { created: number; id: number } | undefined;
    for (let pages = 0; pages < 200; pages++) {
      const page = await executions.list({ actionRef: ref }, { page: 1, perPage: 100, cursor, total: 'none' });
      for (const e of page.items) {
        const key = { created: new Date(e.created).getTime(), id: e.id };
        if (previous) expect(key.created < previous.created || (key.created === previous.created && key.id < previous.id)).toBe(true);
        previous = key;
        seen.push(e.id);
      }
      // A new execution of the same filter arrives between pages: it sorts before the cursor.
      await executions.create({ action: null, actionRef: ref, config: {}, timeoutSeconds: 60 });
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(seen.length).toBe(SEEDED);
    expect(new Set(seen).size).toBe(SEEDED);
    expect([...seen].sort((a, b) => a - b)).toEqual([...seededIds].sort((a, b) => a - b));
  }, 120_000);

  it('answers a page by number and its next cursor continues it', async () => {
    const byNumber = await executions.list({ actionRef: ref }, { page: 3, perPage: 50 });
    const next = await executions.list({ actionRef: ref }, { page: 1, perPage: 50, cursor: byNumber.nextCursor! });
    const page4 = await executions.list({ actionRef: ref }, { page: 4, perPage: 50 });
    expect(next.items.map((e) => e.id)).toEqual(page4.items.map((e) => e.id));
  });

  it('counts exactly below the limit and estimates (marked) above it', async () => {
    const failed = await executions.list({ actionRef: ref, status: 'failed' }, { page: 1, perPage: 20 });
    expect(failed).toMatchObject({ total: Math.floor(SEEDED / 40), totalEstimated: false });

    const all = await executions.list({ actionRef: ref }, { page: 1, perPage: 20 });
    expect(all.totalEstimated).toBe(true);
    expect(all.total).toBeGreaterThan(EXACT_TOTAL_LIMIT);
    // The planner's figure, from the statistics gathered after seeding: near the truth.
    expect(Math.abs(all.total! - SEEDED) / SEEDED).toBeLessThan(0.5);

    const exact = await executions.list({ actionRef: ref, createdBefore: new Date(Date.now() - 30 * 60_000) }, { page: 1, perPage: 20, total: 'exact' });
    expect(exact).toMatchObject({ total: SEEDED, totalEstimated: false });

    const none = await executions.list({ actionRef: ref }, { page: 1, perPage: 20, total: 'none' });
    expect(none.total).toBeNull();
  });

  it('still pages by (page, per_page) for callers that do', async () => {
    const { items, total } = await executions.list({ actionRef: ref, status: 'failed' }, 2, 10);
    expect(items).toHaveLength(10);
    expect(total).toBe(Math.floor(SEEDED / 40));
    // A page past the end is empty and still counts.
    expect(await executions.list({ actionRef: ref, status: 'failed' }, 100, 10)).toMatchObject({ items: [], total: Math.floor(SEEDED / 40), nextCursor: null });
  });

  it('refuses a cursor it did not issue with a validation error', async () => {
    for (const cursor of ['nope!', Buffer.from('{"i":"1"}').toString('base64url'), Buffer.from('{"c":"now()","i":1}').toString('base64url')]) {
      await expect(executions.list({}, { page: 1, perPage: 5, cursor })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    }
    await expect(executions.list({}, { page: 1, perPage: 5, cursor: 'x' })).rejects.toBeInstanceOf(DomainError);
  });

  it('pages events by id with a cursor', async () => {
    const events = app.get(EventRepository);
    const triggerRef = `lp${suffix}.t`;
    for (let i = 0; i < 7; i++) await events.create({ trigger: null, triggerRef, payload: { i }, source: 'api' });
    const first = await events.list({ triggerRef }, { page: 1, perPage: 5 });
    const second = await events.list({ triggerRef }, { page: 1, perPage: 5, cursor: first.nextCursor! });
    expect(first.total).toBe(7);
    expect(second.nextCursor).toBeNull();
    const payloads = [...first.items, ...second.items].map((e) => (e.payload as { i: number }).i);
    expect(payloads).toEqual([6, 5, 4, 3, 2, 1, 0]);
    await ds.query(`DELETE FROM events WHERE trigger_ref = $1`, [triggerRef]);
  });
});
