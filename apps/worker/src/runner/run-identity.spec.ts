import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@attune/testing';
import type { WorkerConfig } from '../config/worker.config';
import { runProcess, type RunSpec } from './process-runner';
import { prepareRunDirectory } from './run-directory';
import { canDropPrivileges, RunIdentities, uidsInUse } from './run-identity';

const logs: Array<{ level: string; msg: string }> = [];
const logger = {
  child: () => logger,
  info: (_o: unknown, msg: string) => logs.push({ level: 'info', msg }),
  warn: (o: unknown, msg?: string) => logs.push({ level: 'warn', msg: msg ?? String(o) }),
  debug: () => undefined,
} as never;
const config = (first: number, last: number, runIsolation: 'uid' | 'none' = 'uid') =>
  ({ runIsolation, runUidRange: { first, last }, runGidRange: { first: first + 1000, last: last + 1000 } }) as WorkerConfig;

const root = canDropPrivileges();
let dir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'run-identity-spec-'));
  await chmod(dir, 0o755);
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

/** A process running as `uid` until killed, started in a session of its own (out of any group we kill). */
async function sleeperAs(uid: number): Promise<ChildProcess> {
  const child = spawn('/bin/sh', ['-c', 'exec sleep 60'], { uid, gid: uid, detached: true, stdio: 'ignore', cwd: '/' });
  children.push(child);
  await new Promise((r) => child.once('spawn', r));
  return child;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('RunIdentities', () => {
  if (!root) {
    it('runs actions as the worker when it is not root, and says so once at start', async () => {
      logs.length = 0;
      const ids = new RunIdentities(config(250_100, 250_199), logger);
      expect(ids.enabled).toBe(false);
      expect(await ids.acquire()).toBeUndefined();
      expect(logs.filter((l) => l.level === 'warn' && l.msg.includes('cannot give actions a uid of their own'))).toHaveLength(1);
    });
    return;
  }

  it('gives concurrent executions distinct uids and gids, skipping uids that processes still run as', async () => {
    const busy = await sleeperAs(250_124);
    expect((await uidsInUse()).has(250_124)).toBe(true);
    const ids = new RunIdentities(config(250_123, 250_125), logger);
    expect(ids.enabled).toBe(true);
    const a = await ids.acquire();
    const b = await ids.acquire();
    expect(new Set([a?.uid, b?.uid])).toEqual(new Set([250_123, 250_125]));
    expect(a?.gid).toBe((a?.uid ?? 0) + 1000);
    await expect(ids.acquire()).rejects.toThrow('every uid of ATTUNE_RUN_UID_RANGE (250123-250125) is in use');
    await a?.release();
    expect((await ids.acquire())?.uid).toBe(a?.uid);
    busy.kill('SIGKILL');
  });

  it('kills what still runs as the uid when it is released (a process that left its group)', async () => {
    const ids = new RunIdentities(config(250_200, 250_201), logger);
    const held = await ids.acquire();
    const straggler = await sleeperAs(held!.uid);
    expect(alive(straggler.pid!)).toBe(true);
    await held!.release();
    await new Promise((r) => (straggler.exitCode !== null || straggler.signalCode ? r(undefined) : straggler.once('exit', r)));
    expect(straggler.signalCode).toBe('SIGKILL');
  });

  it('kills the stragglers of runs released together, in one scan, and keeps each uid held until then', async () => {
    const ids = new RunIdentities(config(250_210, 250_212), logger);
    const [a, b] = [await ids.acquire(), await ids.acquire()];
    const stragglers = [await sleeperAs(a!.uid), await sleeperAs(b!.uid)];
    const releases = [a!.release(), b!.release()];
    // Until the cleaning scan is done both uids are still held: only the third is free.
    expect((await ids.acquire())?.uid).toBe(250_212 + 250_210 + 250_211 - a!.uid - b!.uid);
    await Promise.all(releases);
    for (const s of stragglers) {
      await new Promise((r) => (s.exitCode !== null || s.signalCode ? r(undefined) : s.once('exit', r)));
      expect(s.signalCode).toBe('SIGKILL');
    }
  });

  it('at start, kills the runs a dead worker left behind, and leaves the runs of live workers alone', async () => {
    // An orphan: a group leader handed to init, as when its worker was SIGKILLed mid-run (the
    // shell leaves a sleep leading a group of its own, then exits).
    const parent = spawn('/bin/sh', ['-c', 'setsid sleep 60 & exit 0'], { uid: 250_510, gid: 250_510, detached: true, stdio: 'ignore', cwd: '/' });
    await new Promise((r) => parent.once('exit', r));
    await waitFor(async () => ((await uidsInUse()).has(250_510) ? true : undefined), { timeoutMs: 5000, what: 'the orphan to run' });
    // A live worker's run: its leader's parent (this process) is alive.
    const live = await sleeperAs(250_511);
    logs.length = 0;
    new RunIdentities(config(250_500, 250_599), logger);
    expect(logs).toContainEqual({ level: 'warn', msg: 'killed processes of runs whose worker died' });
    await waitFor(async () => ((await uidsInUse()).has(250_510) ? undefined : true), { timeoutMs: 5000, what: 'the orphan to be gone' });
    expect(alive(live.pid!)).toBe(true);
  });

  it('is off with isolation none, which it says once', async () => {
    logs.length = 0;
    const ids = new RunIdentities(config(250_300, 250_301, 'none'), logger);
    expect(await ids.acquire()).toBeUndefined();
    expect(logs.filter((l) => l.level === 'warn')).toHaveLength(1);
  });
});

describe('a run directory and a process as a run uid', () => {
  const spec = (over: Partial<RunSpec>): RunSpec => ({
    command: '/bin/sh',
    args: ['-c', 'true'],
    cwd: '/',
    env: { PATH: '/usr/local/bin:/usr/bin:/bin' },
    stdin: '',
    timeoutMs: 10_000,
    killGraceMs: 200,
    captureBytes: 4096,
    ...over,
  });

  it('hands work/ to the run uid and keeps private/ and the other runs out of its reach', async () => {
    if (!root) {
      const d = await prepareRunDirectory(join(dir, 'work-root-plain'), 1, undefined, '{"a":1}');
      expect((await stat(d.workDir)).mode & 0o777).toBe(0o700);
      expect(await readFile(d.parameterFile, 'utf8')).toBe('{"a":1}');
      return;
    }
    const workRoot = join(dir, 'work-root');
    const mine = await prepareRunDirectory(workRoot, 1, { uid: 250_400, gid: 250_400 }, '{"mine":true}');
    const other = await prepareRunDirectory(workRoot, 2, { uid: 250_401, gid: 250_401 }, '{"secret":"s3cr3t"}');
    await writeFile(join(mine.privateDir, 'spool'), 'worker only', { mode: 0o600 });
    expect((await stat(workRoot)).mode & 0o777).toBe(0o711);
    expect((await stat(mine.root)).mode & 0o777).toBe(0o711);
    for (const p of [mine.workDir, mine.artifactsDir]) expect(await stat(p)).toMatchObject({ uid: 250_400, gid: 250_400, mode: expect.any(Number) });
    expect((await stat(mine.workDir)).mode & 0o777).toBe(0o700);
    expect((await stat(mine.parameterFile)).mode & 0o777).toBe(0o600);
    expect((await stat(mine.privateDir)).uid).toBe(0);

    const script = [
      'id -u',
      'cat parameters.json; echo',
      'echo made > artifacts/out.txt && echo wrote-artifact',
      `ls ${workRoot} 2>&1 || true`,
      `cat ${other.parameterFile} 2>&1 || true`,
      `cat ${join(mine.privateDir, 'spool')} 2>&1 || true`,
    ].join('\n');
    const out = await runProcess(spec({ args: ['-c', script], cwd: mine.workDir, identity: { uid: 250_400, gid: 250_400 } }));
    const text = out.stdout.head.toString();
    expect(out.exitCode).toBe(0);
    expect(text).toContain('250400\n{"mine":true}\nwrote-artifact');
    expect(text).not.toContain('s3cr3t');
    expect(text).not.toContain('worker only');
    expect(text.match(/Permission denied/g)).toHaveLength(3);
  });

  it('still stops a run uid\'s process group on timeout (the worker is root)', async () => {
    if (!root) return expect(root).toBe(false);
    const out = await runProcess(spec({ args: ['-c', 'sleep 30 & sleep 30'], timeoutMs: 300, identity: { uid: 250_402, gid: 250_402 } }));
    expect(out.timedOut).toBe(true);
    // The background sleep died with its group; once reaped, nothing runs as the uid.
    await waitFor(async () => ((await uidsInUse()).has(250_402) ? undefined : true), { timeoutMs: 5000, what: 'uid 250402 to be gone' });
  });
});
