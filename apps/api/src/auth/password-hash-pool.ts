import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * bcrypt runs in a few worker threads, never on the api's event loop: one hash at cost 12 is
 * about 0.35 s of CPU, and a dozen concurrent sign-ins computed on the loop stalled every other
 * request (/health took seconds). The threads are dedicated (not libuv's shared pool, which file
 * and DNS work also need), so a burst of sign-ins waits in this queue and nothing else does.
 * The login throttle bounds how long that queue can get.
 */

type Op = { op: 'hash'; password: string; rounds: number } | { op: 'compare'; password: string; hash: string };
interface Task {
  id: number;
  msg: Op;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

// Runs inside each thread. bcryptjs's synchronous functions are right there: the thread has nothing
// else to do. Loaded by absolute path, resolved by the main thread, so the eval'd script does not
// depend on the working directory.
//
// Each thread lowers its own scheduling priority (nice 10): on Linux the nice value belongs to the
// thread, and setpriority() with pid 0 from a thread changes only that thread. On a machine with
// few cores the hashing threads then yield the CPU to the event loop instead of taking turns with
// it, so requests keep their latency while hashes queue. Only done on Linux, where this holds
// (elsewhere it would lower the whole process).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
if (workerData.nice) { try { require('node:os').setPriority(0, workerData.nice); } catch {} }
const bcrypt = require(workerData.bcryptPath);
parentPort.on('message', ({ id, msg }) => {
  try {
    const value = msg.op === 'hash' ? bcrypt.hashSync(msg.password, msg.rounds) : bcrypt.compareSync(msg.password, msg.hash);
    parentPort.postMessage({ id, value });
  } catch (err) {
    parentPort.postMessage({ id, error: String((err && err.message) || err) });
  }
});
`;

/** Where bcryptjs is: beside the running bundle (dist/apps/api/main.js → node_modules), else from the working directory. */
function resolveBcrypt(): string {
  const bases = [process.argv[1], join(process.cwd(), 'noop.js')].filter((b): b is string => !!b);
  for (const base of bases) {
    try {
      return createRequire(base).resolve('bcryptjs');
    } catch {
      // try the next base
    }
  }
  throw new Error('cannot find the bcryptjs package for the password hashing threads');
}

/** The nice value of the hashing threads on Linux (0 is normal, 19 the lowest priority). */
const HASH_THREAD_NICE = 10;

class HashThread {
  readonly worker: Worker;
  busy?: Task;

  constructor(bcryptPath: string, onDone: (t: HashThread, task: Task, value: unknown, error?: string) => void, onDeath: (t: HashThread, err: Error) => void) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { bcryptPath, nice: process.platform === 'linux' ? HASH_THREAD_NICE : 0 } });
    // Idle threads must not keep the process (or a test run) alive.
    this.worker.unref();
    this.worker.on('message', (m: { id: number; value?: unknown; error?: string }) => {
      const task = this.busy;
      if (!task || task.id !== m.id) return;
      this.busy = undefined;
      onDone(this, task, m.value, m.error);
    });
    this.worker.on('error', (err) => onDeath(this, err));
    this.worker.on('exit', (code) => onDeath(this, new Error(`password hashing thread exited with code ${code}`)));
  }
}

export class PasswordHashPool {
  private readonly threads: HashThread[] = [];
  private readonly queue: Task[] = [];
  private readonly bcryptPath = resolveBcrypt();
  private nextId = 1;
  private closed = false;

  constructor(private readonly size: number) {}

  hash(password: string, rounds: number): Promise<string> {
    return this.run({ op: 'hash', password, rounds }) as Promise<string>;
  }

  compare(password: string, hash: string): Promise<boolean> {
    return this.run({ op: 'compare', password, hash }) as Promise<boolean>;
  }

  /** Tasks waiting for a thread (for tests and diagnostics). */
  get waiting(): number {
    return this.queue.length;
  }

  async close(): Promise<void> {
    this.closed = true;
    const threads = this.threads.splice(0);
    for (const t of threads) t.worker.removeAllListeners('exit');
    await Promise.all(threads.map((t) => t.worker.terminate()));
    for (const task of this.queue.splice(0)) task.reject(new Error('password hashing is shut down'));
  }

  private run(msg: Op): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('password hashing is shut down'));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, msg, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.queue.length) {
      let idle = this.threads.find((t) => !t.busy);
      if (!idle && this.threads.length < this.size) {
        idle = new HashThread(this.bcryptPath, (t, task, value, error) => this.done(t, task, value, error), (t, err) => this.died(t, err));
        this.threads.push(idle);
      }
      if (!idle) return;
      const task = this.queue.shift() as Task;
      idle.busy = task;
      idle.worker.ref(); // keep the process up while a hash is under way
      idle.worker.postMessage({ id: task.id, msg: task.msg });
    }
  }

  private done(thread: HashThread, task: Task, value: unknown, error?: string): void {
    thread.worker.unref();
    if (error !== undefined) task.reject(new Error(error));
    else task.resolve(value);
    this.dispatch();
  }

  /** A thread that dies fails its own task only; the next task starts a fresh thread. */
  private died(thread: HashThread, err: Error): void {
    const i = this.threads.indexOf(thread);
    if (i < 0) return;
    this.threads.splice(i, 1);
    thread.busy?.reject(err);
    thread.busy = undefined;
    if (!this.closed) this.dispatch();
  }
}
