import { isTerminal } from '@attune/api-client';
import { type ApiResponse, TcpProxy, testDatabaseUrl, waitFor } from '@attune/testing';
import { submitUnderLoad, usePlatform, usePlatformDatabase } from './support';

/**
 * Scale and operations: cursor pages over many rows while new ones arrive, retention through the
 * API (a dry run reports what the real run deletes), and a database outage under load. The
 * services reach Postgres through a TCP proxy the test cuts, so the outage never stops the server
 * other suites share.
 */
const real = new URL(testDatabaseUrl('scale'));
let proxy: TcpProxy;

beforeAll(async () => {
  proxy = await TcpProxy.start({ host: real.hostname, port: Number(real.port || 5432) });
});

const ctx = usePlatform(
  'scale',
  () => {
    const viaProxy = new URL(real.toString());
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    return {
      ATTUNE_DATABASE_URL: viaProxy.toString(),
      // Only the endpoint deletes here; the sweep is covered by the retention integration test.
      ATTUNE_RETENTION_EXECUTIONS: 'off',
      ATTUNE_EXECUTOR_SWEEP_INTERVAL_MS: '1000',
    };
  },
  // The services stop with their database reachable, whatever state a test left the proxy in.
  { database: 'scale', startTimeoutMs: 300_000, beforeStop: () => proxy.restore() },
);
const db = usePlatformDatabase(ctx);

afterAll(() => proxy?.stop());

describe('cursor pages', () => {
  it('walk 10,000 executions without a duplicate or a gap while new executions are created', async () => {
    // The suite's database outlives a run: this run's rows have an action ref of their own.
    const seededRef = `scale.seeded${Date.now().toString(36)}`;
    const seeded: Array<{ id: string }> = (
      await db.query(
        `INSERT INTO executions (action_ref, status, timeout_seconds, created, updated)
         SELECT $1, 'completed', 60, now() - interval '1 hour' + (g / 4) * interval '1 millisecond', now() - interval '1 hour'
           FROM generate_series(1, 10000) g RETURNING id`,
        [seededRef],
      )
    ).rows;
    let creating = true;
    let created = 0;
    const creator = (async () => {
      while (creating) {
        const res = await ctx.api.post('/api/v1/executions/execute', { action_ref: 'core.noop' });
        expect(res.status).toBe(201);
        created++;
      }
    })();
    const seen: number[] = [];
    let cursor: string | null = null;
    let lastCreated = Infinity;
    try {
      do {
        const res: ApiResponse = await ctx.api.get(`/api/v1/executions?per_page=100${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.status).toBe(200);
        for (const e of res.body.data) {
          // Newest first (the API prints milliseconds; ties within one are ordered by id in Postgres).
          expect(Date.parse(e.created)).toBeLessThanOrEqual(lastCreated);
          lastCreated = Date.parse(e.created);
          seen.push(e.id);
        }
        cursor = res.body.pagination.next_cursor;
      } while (cursor);
    } finally {
      creating = false;
      await creator;
    }
    expect(created).toBeGreaterThan(0);
    expect(new Set(seen).size).toBe(seen.length);
    const walked = new Set(seen);
    expect(seeded.filter((r) => !walked.has(Number(r.id)))).toEqual([]);
    // Past 10,000 matching rows the total is the planner's estimate, and says so.
    await db.query('ANALYZE executions');
    const all = await ctx.api.get('/api/v1/executions?per_page=1');
    expect(all.body.pagination.total_estimated).toBe(true);
    expect(all.body.pagination.total).toBeGreaterThan(10000);

    const total = await ctx.api.get(`/api/v1/executions?per_page=1&action_ref=${seededRef}`);
    expect(total.body.pagination).toMatchObject({ total: 10000, total_estimated: false });
    const bad = await ctx.api.get('/api/v1/executions?cursor=not-a-cursor!');
    expect(bad.status).toBe(422);
    expect(bad.body.code).toBe('VALIDATION_ERROR');
  }, 180_000);
});

describe('retention', () => {
  it('deletes only what is old and terminal, with its logs; a dry run reports exactly what the real run deletes', async () => {
    const insert = async (status: string, ageDays: number) =>
      Number(
        (
          await db.query(
            `INSERT INTO executions (action_ref, status, timeout_seconds, created, updated)
             VALUES ('scale.retention', $1, 60, now() - $2 * interval '1 day', now() - $2 * interval '1 day') RETURNING id`,
            [status, ageDays],
          )
        ).rows[0].id,
      );
    const old = [await insert('completed', 100), await insert('failed', 95), await insert('timeout', 120), await insert('cancelled', 91)];
    const withLog = await insert('completed', 100);
    const log = Number(
      (await db.query(`INSERT INTO artifacts (ref, type, execution, origin, name) VALUES ($1, 'file_text', $2, 'log', 'stdout') RETURNING id`, [`scale.log.${withLog}`, withLog]))
        .rows[0].id,
    );
    await db.query(`INSERT INTO execution_log_streams (execution, stream, attempt, state, artifact) VALUES ($1, 'stdout', 1, 'closed', $2)`, [withLog, log]);
    const kept = [await insert('running', 100), await insert('requested', 100), await insert('completed', 30), await insert('scheduled', 200)];

    const dry = await ctx.api.post('/api/v1/executions/cleanup', { older_than: '90d', dry_run: true });
    expect(dry.status).toBe(200);
    const expected = [...old, withLog].sort((a, b) => a - b);
    expect(dry.body.data).toMatchObject({ dry_run: true, deleted_executions: expected.length, deleted_log_artifacts: 1, items_truncated: false });
    expect(dry.body.data.items.map((i: { id: number }) => i.id).sort((a: number, b: number) => a - b)).toEqual(expected);
    expect((await db.query(`SELECT count(*)::int AS n FROM executions WHERE id = ANY($1)`, [expected])).rows[0].n).toBe(expected.length);

    const real = await ctx.api.post('/api/v1/executions/cleanup', { older_than: '90d' });
    expect(real.status).toBe(200);
    expect({ ...real.body.data, cutoff: undefined }).toEqual({ ...dry.body.data, dry_run: false, cutoff: undefined });
    expect((await db.query(`SELECT id FROM executions WHERE id = ANY($1)`, [expected])).rows).toEqual([]);
    expect((await db.query(`SELECT id FROM artifacts WHERE id = $1`, [log])).rows).toEqual([]);
    expect((await db.query(`SELECT count(*)::int AS n FROM executions WHERE id = ANY($1)`, [kept])).rows[0].n).toBe(kept.length);

    const refused = await ctx.api.post('/api/v1/executions/cleanup', { older_than: '90d', status: 'running' });
    expect(refused.status).toBe(422);
  }, 60_000);
});

describe('database outage', () => {
  it('under load: a short blink is ridden over, a longer outage answers 503 with Retry-After and never 500; every accepted execution ends', async () => {
    const accepted: number[] = [];
    const statuses = new Map<number, number>();
    let unavailable = 0;
    let outage: Promise<void> | undefined;
    const healthDuring: ApiResponse[] = [];

    const submit = async (): Promise<void> => {
      for (;;) {
        const res = await ctx.api.post('/api/v1/executions/execute', { action_ref: 'core.noop' });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status === 201) {
          accepted.push(res.body.data.id);
          return;
        }
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toMatch(/^[0-9]+$/);
        expect(res.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE', error: expect.any(String) });
        unavailable++;
        await new Promise((r) => setTimeout(r, 200));
      }
    };

    await submitUnderLoad(300, 8, submit, {
      // A restart of about a second: requests wait in the pool's connect retry.
      80: async () => {
        await proxy.cut();
        setTimeout(() => void proxy.restore(), 1000);
      },
      // Longer than the connect retry (3 s): answered 503 until it is back.
      180: () => {
        outage = (async () => {
          await proxy.cut();
          await new Promise((r) => setTimeout(r, 4500));
          healthDuring.push(await ctx.api.get('/health'));
          await new Promise((r) => setTimeout(r, 1000));
          await proxy.restore();
        })();
      },
    });
    await outage;

    expect(statuses.get(500) ?? 0).toBe(0);
    expect([...statuses.keys()].every((s) => s === 201 || s === 503)).toBe(true);
    expect(unavailable).toBeGreaterThan(0);
    expect(accepted).toHaveLength(300);
    expect(healthDuring[0].status).toBe(503);
    expect(healthDuring[0].body.details.checks.database.status).toBe('down');

    const { rows } = await waitFor(
      async () => {
        const r = await db.query(`SELECT id, status FROM executions WHERE id = ANY($1)`, [accepted]);
        return r.rows.every((x: { status: string }) => isTerminal(x.status)) ? r : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500, what: 'every accepted execution to end' },
    );
    expect(rows).toHaveLength(300);
    expect(rows.filter((x: { status: string }) => x.status !== 'completed')).toEqual([]);
    for (const s of ['api', 'executor', 'artifact-store'] as const) {
      expect((await fetch(ctx.platform.healthUrl(s))).status).toBe(200);
    }
  }, 240_000);
});
