import { spawn } from 'node:child_process';
import type { Spawner } from '../spawner/spawner';

/** Receives a stream's output as it comes; answering false asks the runner to pause the pipe. */
export interface OutputSink {
  write(chunk: Buffer): boolean;
  waitForDrain(): Promise<void>;
}

export interface RunSpec {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** Written to the process's stdin, which is then closed. */
  stdin: string;
  timeoutMs: number;
  killGraceMs: number;
  /** Bytes of each stream kept in memory; the rest is counted and dropped. */
  captureBytes: number;
  /** Aborting it stops the process group like a timeout does (SIGTERM, then SIGKILL). */
  signal?: AbortSignal;
  /** Where the full output goes (the log), besides the bounded head kept here. */
  sinks?: { stdout?: OutputSink; stderr?: OutputSink };
  /**
   * File descriptors the process writes its stdout and stderr to directly (the log spool files),
   * instead of pipes: no copy through the worker. Their heads are then the caller's to read.
   */
  outputFds?: { stdout: number; stderr: number };
  /** Run as this uid/gid (no supplementary groups) instead of the worker's own; needs root. */
  identity?: { uid: number; gid: number };
  /**
   * Start the process from this spawner rather than from this process (see Spawner). The
   * process then writes its stdout and stderr to the files at these paths, which the spawner
   * opens (the same files as `outputFds`), and `sinks` are not used.
   */
  spawner?: { spawner: Spawner; stdoutPath: string; stderrPath: string };
}

export interface CapturedStream {
  /** The first `captureBytes` bytes. */
  head: Buffer;
  totalBytes: number;
}

export interface RunOutcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** The run was stopped through `signal`. */
  cancelled?: boolean;
  durationMs: number;
  stdout: CapturedStream;
  stderr: CapturedStream;
  /** Set when the process could not be started at all. */
  spawnError?: string;
}

class Capture {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  total = 0;
  constructor(private readonly limit: number) {}
  push(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.kept >= this.limit) return;
    const part = chunk.length > this.limit - this.kept ? chunk.subarray(0, this.limit - this.kept) : chunk;
    this.chunks.push(part);
    this.kept += part.length;
  }
  result(): CapturedStream {
    return { head: Buffer.concat(this.chunks), totalBytes: this.total };
  }
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/**
 * Runs one process in its own process group and workdir, feeds it stdin, and keeps a bounded
 * head of its output (memory stays flat whatever it prints). On timeout the whole group gets
 * SIGTERM, then SIGKILL after the grace period. When the main process exits, anything it left
 * running in its group is killed, so no action outlives its execution. The process is started
 * here, or by the spawner process when `spec.spawner` is given.
 */
export function runProcess(spec: RunSpec): Promise<RunOutcome> {
  const started = process.hrtime.bigint();
  const stdout = new Capture(spec.captureBytes);
  const stderr = new Capture(spec.captureBytes);
  return new Promise((resolve) => {
    let timedOut = false;
    let cancelled = false;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    let pid: number | undefined;
    /** A signal sent before the spawner said which pid the process has: delivered once it does. */
    let owed: NodeJS.Signals | undefined;
    const finish = (exitCode: number | null, signal: NodeJS.Signals | null, spawnError?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(termTimer);
      clearTimeout(killTimer);
      spec.signal?.removeEventListener('abort', onAbort);
      resolve({
        exitCode,
        signal,
        timedOut,
        cancelled,
        durationMs: Number((process.hrtime.bigint() - started) / 1_000_000n),
        stdout: stdout.result(),
        stderr: stderr.result(),
        spawnError,
      });
    };
    const signalGroup = (signal: NodeJS.Signals) => {
      if (pid) killGroup(pid, signal);
      else owed = signal;
    };
    const startedAs = (p: number | undefined) => {
      pid = p;
      if (p && owed) killGroup(p, owed);
    };
    const stop = () => {
      if (killTimer) return;
      signalGroup('SIGTERM');
      killTimer = setTimeout(() => signalGroup('SIGKILL'), spec.killGraceMs);
    };
    const termTimer = setTimeout(() => {
      timedOut = true;
      stop();
    }, spec.timeoutMs);
    function onAbort() {
      if (settled || timedOut) return;
      cancelled = true;
      stop();
    }

    if (spec.spawner) {
      const { spawner, stdoutPath, stderrPath } = spec.spawner;
      const proc = spawner.spawn({
        command: spec.command,
        args: spec.args,
        cwd: spec.cwd,
        env: spec.env,
        stdin: spec.stdin,
        stdoutPath,
        stderrPath,
        ...(spec.identity ? { uid: spec.identity.uid, gid: spec.identity.gid } : {}),
      });
      proc.started.then(startedAs, (err: Error) => finish(null, null, err.message));
      proc.exited.then(
        ({ code, signal }) => {
          // Leftover background processes of the group go with it.
          killGroup(pid, 'SIGKILL');
          finish(code, signal);
        },
        (err: Error) => {
          killGroup(pid, 'SIGKILL');
          finish(null, null, err.message);
        },
      );
    } else {
      const child = spawn(spec.command, spec.args, {
        cwd: spec.cwd,
        env: spec.env,
        detached: true,
        stdio: ['pipe', spec.outputFds?.stdout ?? 'pipe', spec.outputFds?.stderr ?? 'pipe'],
        // libuv drops the supplementary groups (setgroups(0)) before setgid/setuid.
        ...(spec.identity ? { uid: spec.identity.uid, gid: spec.identity.gid } : {}),
      });
      startedAs(child.pid);
      child.on('error', (err) => finish(null, null, err.message));
      const forward = (pipe: NodeJS.ReadableStream, capture: Capture, sink?: OutputSink) =>
        pipe.on('data', (c: Buffer) => {
          capture.push(c);
          if (sink && !sink.write(c)) {
            // Backpressure: the process blocks on its next write until the log catches up.
            pipe.pause();
            void sink.waitForDrain().then(() => pipe.resume());
          }
        });
      if (child.stdout) forward(child.stdout, stdout, spec.sinks?.stdout);
      if (child.stderr) forward(child.stderr, stderr, spec.sinks?.stderr);
      // A process that exits without reading stdin makes the write fail with EPIPE: harmless.
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(spec.stdin);
      let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
      child.on('exit', (code, signal) => {
        exit = { code, signal };
        // Leftover background processes would hold the pipes open forever.
        killGroup(child.pid, 'SIGKILL');
      });
      child.on('close', (code, signal) => finish(exit?.code ?? code, exit?.signal ?? signal));
    }
    if (spec.signal?.aborted) onAbort();
    else spec.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
