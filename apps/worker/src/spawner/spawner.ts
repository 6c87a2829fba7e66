import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { SpawnerReply, SpawnRequest } from './protocol';

/** One process started through the spawner, as runProcess sees it. */
export interface SpawnedProcess {
  /** Resolves with the pid once started; rejects with why it could not be started. */
  readonly started: Promise<number>;
  /** Resolves once the process has exited (rejects when the spawner was lost first). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

interface Pending {
  started: { resolve(pid: number): void; reject(err: Error): void };
  exited: { resolve(v: { code: number | null; signal: NodeJS.Signals | null }): void; reject(err: Error): void };
}

/**
 * Starts action processes from a small helper process (`spawner.js`, forked once) instead of the
 * worker itself. Starting a process forks its parent, page tables and all: from the large worker
 * that costs several milliseconds of CPU and wall time per execution, from the spawner a fraction
 * (docs/benchmarks.md). The spawner opens the log spool files itself (their paths are passed, not
 * descriptors), so nothing else changes: the process writes straight into them. Signals still go
 * from the worker to the process group by pid. A spawner that dies is replaced on the next
 * request; the runs it had started are reported lost (their processes are killed by pid).
 */
export class Spawner {
  private child?: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly script: string) {}

  /** The spawner beside the worker's bundle, or undefined where there is none (tests run from source). */
  static beside(mainScript: string | undefined): Spawner | undefined {
    if (!mainScript) return undefined;
    const script = mainScript.replace(/[^/\\]+$/, 'spawner.js');
    return script !== mainScript && existsSync(script) ? new Spawner(script) : undefined;
  }

  spawn(req: Omit<SpawnRequest, 'op' | 'id'>): SpawnedProcess {
    const id = this.nextId++;
    const started = deferred<number>();
    const exited = deferred<{ code: number | null; signal: NodeJS.Signals | null }>();
    // Whoever does not wait for one of them must not see it as an unhandled rejection.
    started.promise.catch(() => undefined);
    exited.promise.catch(() => undefined);
    this.pending.set(id, { started, exited });
    const request: SpawnRequest = { op: 'spawn', id, ...req };
    try {
      this.process().send(request, (err) => err && this.lose(id, err));
    } catch (err) {
      this.lose(id, err as Error);
    }
    return { started: started.promise, exited: exited.promise };
  }

  /** Stops the spawner (the processes it started are not its children's business: they run on). */
  close(): void {
    this.child?.disconnect();
    this.child = undefined;
  }

  private process(): ChildProcess {
    if (this.child?.connected) return this.child;
    const child = fork(this.script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json', execArgv: [] });
    child.on('message', (reply: SpawnerReply) => this.settle(reply));
    const lost = (why: string) => {
      if (this.child === child) this.child = undefined;
      for (const id of [...this.pending.keys()]) this.lose(id, new Error(why));
    };
    child.on('exit', (code, signal) => lost(`the spawner process exited (${signal ?? `code ${code}`})`));
    child.on('error', (err) => lost(`the spawner process failed: ${err.message}`));
    // The worker's exit must not wait for it.
    child.unref();
    (child as unknown as { channel?: { unref(): void } }).channel?.unref();
    this.child = child;
    return child;
  }

  private settle(reply: SpawnerReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    if (reply.op === 'spawned') p.started.resolve(reply.pid);
    else if (reply.op === 'failed') {
      this.pending.delete(reply.id);
      p.started.reject(new Error(reply.error));
      p.exited.reject(new Error(reply.error));
    } else {
      this.pending.delete(reply.id);
      p.exited.resolve({ code: reply.code, signal: reply.signal });
    }
  }

  private lose(id: number, err: Error): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    p.started.reject(err);
    p.exited.reject(err);
  }
}

function deferred<T>(): { promise: Promise<T>; resolve(v: T): void; reject(e: Error): void } {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
