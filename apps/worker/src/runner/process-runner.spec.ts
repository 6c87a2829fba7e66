import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProcess, type RunSpec } from './process-runner';

const cwd = mkdtempSync(join(tmpdir(), 'runner-spec-'));
const spec = (script: string, over: Partial<RunSpec> = {}): RunSpec => ({
  command: '/bin/sh',
  args: ['-c', script],
  cwd,
  env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  stdin: '',
  timeoutMs: 10_000,
  killGraceMs: 500,
  captureBytes: 1024,
  ...over,
});

describe('runProcess', () => {
  it('captures exit code, stdout and stderr', async () => {
    const out = await runProcess(spec('echo out; echo err >&2; exit 4'));
    expect(out.exitCode).toBe(4);
    expect(out.stdout.head.toString()).toBe('out\n');
    expect(out.stderr.head.toString()).toBe('err\n');
    expect(out.timedOut).toBe(false);
  });

  it('feeds stdin and closes it', async () => {
    const out = await runProcess(spec('cat', { stdin: '{"a":1}' }));
    expect(out.stdout.head.toString()).toBe('{"a":1}');
  });

  it('keeps a bounded head of large output but counts all of it', async () => {
    const out = await runProcess(spec('head -c 1000000 /dev/zero', { captureBytes: 100 }));
    expect(out.stdout.head.length).toBe(100);
    expect(out.stdout.totalBytes).toBe(1_000_000);
  });

  it('stops the whole process group at the timeout, escalating to SIGKILL', async () => {
    const out = await runProcess(spec("trap '' TERM; sleep 30 & wait", { timeoutMs: 200, killGraceMs: 200 }));
    expect(out.timedOut).toBe(true);
    expect(out.signal).toBe('SIGKILL');
    expect(out.durationMs).toBeLessThan(5000);
  });

  it('does not wait for background processes left holding the output open', async () => {
    const out = await runProcess(spec('(sleep 30) & echo done'));
    expect(out.exitCode).toBe(0);
    expect(out.stdout.head.toString()).toBe('done\n');
    expect(out.durationMs).toBeLessThan(5000);
  });

  it('stops the process group when its signal is aborted', async () => {
    const controller = new AbortController();
    const run = runProcess(spec('sleep 30 & sleep 30; wait', { signal: controller.signal, killGraceMs: 200 }));
    setTimeout(() => controller.abort(), 100);
    const out = await run;
    expect(out.cancelled).toBe(true);
    expect(out.timedOut).toBe(false);
    expect(out.durationMs).toBeLessThan(5000);
  });

  it('reports a program that cannot be started', async () => {
    const out = await runProcess(spec('', { command: '/nonexistent/program', args: [] }));
    expect(out.spawnError).toContain('ENOENT');
    expect(out.exitCode).toBeNull();
  });
});
