import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { runProcess, type RunSpec } from '../runner/process-runner';
import { Spawner } from './spawner';

// The spawner as it ships is a bundle of main.ts (webpack); here main.ts, transpiled on its own.
const dir = mkdtempSync(join(tmpdir(), 'spawner-spec-'));
const script = join(dir, 'spawner.cjs');
// Jest runs from the repository's root (as e2e/src/support.ts's ROOT assumes too).
const source = readFileSync(join(process.cwd(), 'apps/worker/src/spawner/main.ts'), 'utf8');
writeFileSync(script, ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText);

let spawner: Spawner;
beforeEach(() => (spawner = new Spawner(script)));
afterEach(() => spawner.close());

let n = 0;
function spec(shell: string, over: Partial<RunSpec> = {}): RunSpec & { out: string; err: string } {
  const out = join(dir, `out-${++n}`);
  const err = join(dir, `err-${n}`);
  writeFileSync(out, '');
  writeFileSync(err, '');
  return {
    command: '/bin/sh',
    args: ['-c', shell],
    cwd: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    stdin: '',
    timeoutMs: 10_000,
    killGraceMs: 300,
    captureBytes: 0,
    spawner: { spawner, stdoutPath: out, stderrPath: err },
    out,
    err,
    ...over,
  };
}

/** Whether the process runs (a zombie, dead but not yet reaped by its new parent, does not). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Whether the process has died within a short while: a signal is delivered when it is scheduled. */
async function dies(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
  return !alive(pid);
}

describe('runProcess through the spawner', () => {
  it('runs the process with its stdin, its output in the files named, and its exit code', async () => {
    const s = spec('cat; echo " out"; echo err >&2; exit 3', { stdin: '{"a":1}' });
    const outcome = await runProcess(s);
    expect(outcome.exitCode).toBe(3);
    expect(outcome.spawnError).toBeUndefined();
    expect(readFileSync(s.out, 'utf8')).toBe('{"a":1} out\n');
    expect(readFileSync(s.err, 'utf8')).toBe('err\n');
  });

  it('starts the process in a process group of its own, not as a child of this process', async () => {
    const s = spec('ps -o pid=,ppid=,pgid= -p $$');
    await runProcess(s);
    const [pid, ppid, pgid] = readFileSync(s.out, 'utf8').trim().split(/\s+/).map(Number);
    expect(pgid).toBe(pid);
    expect(ppid).not.toBe(process.pid);
  });

  it('stops the whole process group at the timeout, escalating to SIGKILL', async () => {
    const s = spec("trap '' TERM; sleep 30 & echo $! ; wait", { timeoutMs: 300 });
    const outcome = await runProcess(s);
    expect(outcome.timedOut).toBe(true);
    expect(outcome.signal).toBe('SIGKILL');
    const background = Number(readFileSync(s.out, 'utf8').trim());
    expect(await dies(background)).toBe(true);
  });

  it('stops it when the signal is aborted, even before the spawner said its pid', async () => {
    const controller = new AbortController();
    controller.abort();
    const outcome = await runProcess(spec('sleep 30', { signal: controller.signal }));
    expect(outcome.cancelled).toBe(true);
    expect(outcome.signal).toBe('SIGTERM');
  });

  it('reports a program that cannot be started', async () => {
    const outcome = await runProcess(spec('', { command: '/nonexistent/program', args: [] }));
    expect(outcome.spawnError).toContain('ENOENT');
    expect(outcome.exitCode).toBeNull();
  });

  it('reports a run lost with its spawner, kills what it left, and starts a new spawner for the next run', async () => {
    const s = spec('echo $$; exec sleep 30');
    const run = runProcess(s);
    let pid = 0;
    for (let i = 0; i < 200 && !pid; i++) {
      await new Promise((r) => setTimeout(r, 10));
      pid = Number(readFileSync(s.out, 'utf8').trim()) || 0;
    }
    expect(alive(pid)).toBe(true);
    // The spawner process: the parent of the action's process.
    const spawnerPid = Number(execFileSync('ps', ['-o', 'ppid=', '-p', String(pid)]).toString().trim());
    process.kill(spawnerPid, 'SIGKILL');
    const outcome = await run;
    expect(outcome.spawnError).toContain('spawner');
    expect(await dies(pid)).toBe(true);
    const next = spec('echo again');
    expect((await runProcess(next)).exitCode).toBe(0);
    expect(readFileSync(next.out, 'utf8')).toBe('again\n');
  });
});

describe('Spawner.beside', () => {
  it('finds spawner.js beside the worker bundle, and nothing where there is none', () => {
    writeFileSync(join(dir, 'spawner.js'), '');
    expect(Spawner.beside(join(dir, 'main.js'))).toBeInstanceOf(Spawner);
    expect(Spawner.beside(join(tmpdir(), 'no-such-dir', 'main.js'))).toBeUndefined();
    expect(Spawner.beside(undefined)).toBeUndefined();
  });
});
