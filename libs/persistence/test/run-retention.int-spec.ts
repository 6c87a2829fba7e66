import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { RunRetentionRepository } from '../src/repositories/run-retention.repository';
import { openRepositories } from './support';

let app: INestApplicationContext;
let ds: DataSource;
let retention: RunRetentionRepository;
const tag = `rr${Date.now()}${Math.floor(Math.random() * 1000)}`;
const DAY = 86_400_000;
const cutoff = () => new Date(Date.now() - 90 * DAY);

/** Inserts an execution `ageDays` old (created and updated), answering its id. */
async function execution(status: string, ageDays: number, opts: { parent?: number; updatedDaysAgo?: number; enforcement?: number } = {}): Promise<number> {
  const [row] = await ds.query(
    `INSERT INTO executions (action_ref, status, timeout_seconds, parent, enforcement, created, updated)
     VALUES ($1, $2, 60, $3, $4, now() - $5 * interval '1 day', now() - $6 * interval '1 day') RETURNING id`,
    [`${tag}.a`, status, opts.parent ?? null, opts.enforcement ?? null, ageDays, opts.updatedDaysAgo ?? ageDays],
  );
  return Number(row.id);
}

let artifactSeq = 0;
async function artifact(executionId: number, origin: 'log' | 'action'): Promise<number> {
  const [row] = await ds.query(
    `INSERT INTO artifacts (ref, type, execution, origin, name) VALUES ($1, 'file_text', $2, $3, 'stdout') RETURNING id`,
    [`${tag}.art${++artifactSeq}`, executionId, origin],
  );
  if (origin === 'log') {
    await ds.query(`INSERT INTO execution_log_streams (execution, stream, attempt, state, artifact) VALUES ($1, 'stdout', 1, 'closed', $2)`, [executionId, row.id]);
  }
  return Number(row.id);
}

async function exists(table: string, id: number): Promise<boolean> {
  return (await ds.query(`SELECT 1 FROM ${table} WHERE id = $1`, [id])).length > 0;
}

/** What a real run does: batches by key, logs first, then the executions. */
async function run(batch: number): Promise<number[]> {
  const deleted: number[] = [];
  let after: { created: string; id: number } | undefined;
  for (;;) {
    const expired = await retention.findExpired({ cutoff: cutoff() }, batch, after);
    if (!expired.length) return deleted;
    after = { created: expired[expired.length - 1].createdKey, id: expired[expired.length - 1].id };
    const purged = await retention.purgeLogs(expired.map((e) => e.id), { cutoff: cutoff() });
    deleted.push(...(await retention.deleteExecutions(purged.purged, { cutoff: cutoff() })));
  }
}

beforeAll(async () => {
  app = await openRepositories([RunRetentionRepository]);
  ds = app.get(DataSource);
  retention = app.get(RunRetentionRepository);
});

afterAll(async () => {
  await ds?.query(`DELETE FROM artifacts WHERE ref LIKE $1`, [`${tag}.%`]);
  await ds?.query(`DELETE FROM executions WHERE action_ref = $1`, [`${tag}.a`]);
  await ds?.query(`DELETE FROM enforcements WHERE rule_ref = $1`, [`${tag}.r`]);
  await ds?.query(`DELETE FROM events WHERE trigger_ref = $1`, [`${tag}.t`]);
  await app?.close();
});

describe('run retention (real Postgres)', () => {
  it('deletes old terminal executions with their logs in batches and keeps everything else', async () => {
    const oldDone = await Promise.all(['completed', 'failed', 'timeout', 'cancelled', 'abandoned'].map((s) => execution(s, 100)));
    const withLog = await execution('completed', 120);
    const log = await artifact(withLog, 'log');
    // kept: unfinished, recent, recently changed, with a user artifact, tasks of a running run, a run with a running task
    const running = await execution('running', 100);
    const requested = await execution('requested', 100);
    const recent = await execution('completed', 10);
    const touched = await execution('failed', 100, { updatedDaysAgo: 1 });
    const withArtifact = await execution('completed', 100);
    await artifact(withArtifact, 'action');
    const runningRun = await execution('running', 100);
    const taskOfRunningRun = await execution('completed', 100, { parent: runningRun });
    const finishedRun = await execution('completed', 100);
    const runningTask = await execution('running', 100, { parent: finishedRun });
    const doneRun = await execution('completed', 110);
    const taskOfDoneRun = await execution('completed', 110, { parent: doneRun });

    const mine = (ids: number[]) => ids.filter((id) => id >= oldDone[0]);
    const expected = [...oldDone, withLog, doneRun, taskOfDoneRun].sort((a, b) => a - b);
    const counted = await retention.countExpired({ cutoff: cutoff() });
    expect(mine((await retention.findExpired({ cutoff: cutoff() }, 1000)).map((e) => e.id)).sort((a, b) => a - b)).toEqual(expected);

    // Batches of 2: every expired execution once, oldest first.
    const deleted = mine(await run(2));
    expect([...deleted].sort((a, b) => a - b)).toEqual(expected);
    expect(new Set(deleted).size).toBe(deleted.length);
    expect(deleted.length).toBeLessThanOrEqual(counted.executions);
    expect(await exists('artifacts', log)).toBe(false);
    expect(await ds.query(`SELECT 1 FROM execution_log_streams WHERE execution = $1`, [withLog])).toHaveLength(0);
    for (const id of [running, requested, recent, touched, withArtifact, runningRun, taskOfRunningRun, finishedRun, runningTask]) {
      expect(await exists('executions', id)).toBe(true);
    }
  });

  it('never deletes an execution whose log is still there, nor one a status filter leaves out', async () => {
    const id = await execution('failed', 100);
    await artifact(id, 'log');
    expect(await retention.deleteExecutions([id], { cutoff: cutoff() })).toEqual([]);
    expect(await retention.purgeLogs([id], { cutoff: cutoff(), statuses: ['completed'] })).toMatchObject({ purged: [], logArtifacts: 0 });
    const purged = await retention.purgeLogs([id], { cutoff: cutoff(), statuses: ['failed'] });
    expect(purged).toMatchObject({ purged: [id], logArtifacts: 1 });
    expect(await retention.deleteExecutions([id], { cutoff: cutoff(), statuses: ['failed'] })).toEqual([id]);
  });

  it('deletes enforcements once their executions are gone, and events once their enforcements are', async () => {
    const [event] = await ds.query(
      `INSERT INTO events (trigger_ref, payload, source, processed_at, created) VALUES ($1, '{}', 'api', now(), now() - interval '100 days') RETURNING id`,
      [`${tag}.t`],
    );
    const [enforcement] = await ds.query(
      `INSERT INTO enforcements (rule_ref, trigger_ref, event, status, condition, created) VALUES ($1, $2, $3, 'processed', 'all', now() - interval '100 days') RETURNING id`,
      [`${tag}.r`, `${tag}.t`, event.id],
    );
    const [unprocessed] = await ds.query(
      `INSERT INTO events (trigger_ref, payload, source, created) VALUES ($1, '{}', 'api', now() - interval '100 days') RETURNING id`,
      [`${tag}.t`],
    );
    const exec = await execution('running', 100, { enforcement: Number(enforcement.id) });

    await drain(() => retention.deleteEnforcements(cutoff(), 1000));
    await drain(() => retention.deleteEvents(cutoff(), 1000));
    expect(await exists('enforcements', Number(enforcement.id))).toBe(true);
    expect(await exists('events', Number(event.id))).toBe(true);

    await ds.query(`UPDATE executions SET status = 'completed' WHERE id = $1`, [exec]);
    await run(100);
    expect(await exists('executions', exec)).toBe(false);
    await drain(() => retention.deleteEnforcements(cutoff(), 1000));
    expect(await exists('enforcements', Number(enforcement.id))).toBe(false);
    await drain(() => retention.deleteEvents(cutoff(), 1000));
    expect(await exists('events', Number(event.id))).toBe(false);
    expect(await exists('events', Number(unprocessed.id))).toBe(true);
  });
});

async function drain(step: () => Promise<number>): Promise<void> {
  while ((await step()) > 0);
}
