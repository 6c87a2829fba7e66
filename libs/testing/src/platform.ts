import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { waitFor } from './wait-for';

/**
 * How long a service may take to answer /health after it is spawned. A quiet machine needs a few
 * seconds; a loaded one (several test runs sharing two cores) has needed more than 30.
 */
const SERVICE_START_TIMEOUT_MS = Number(process.env.ATTUNE_TEST_SERVICE_START_MS ?? 90_000);

export const SERVICES = ['api', 'executor', 'worker', 'artifact-store'] as const;
export type ServiceName = (typeof SERVICES)[number];

export interface PlatformOptions {
  /** The repository root (holding dist/apps/…). */
  root: string;
  databaseUrl: string;
  amqpUrl: string;
  namespace: string;
  /** Where service output is written, one file per service. */
  logDir: string;
  env?: Record<string, string>;
}

/** A further instance of a service beside the main one (a second worker or executor). */
export interface ExtraInstance {
  name: ServiceName;
  port: number;
  process: ChildProcess;
  healthUrl: string;
  /** Stops it (SIGTERM by default; SIGKILL to simulate a crash) and answers how it ended. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

/**
 * The whole platform as real processes, built bundles from dist/, for end-to-end tests.
 * Each service can be stopped and started on its own.
 */
export class Platform {
  readonly ports = {} as Record<ServiceName, number>;
  private readonly procs = new Map<ServiceName, ChildProcess>();
  private readonly logs = new Map<ServiceName, WriteStream>();
  private readonly extras: ExtraInstance[] = [];

  private constructor(private readonly opts: PlatformOptions) {}

  static async create(opts: PlatformOptions): Promise<Platform> {
    const p = new Platform(opts);
    for (const s of SERVICES) p.ports[s] = await freePort();
    mkdirSync(opts.logDir, { recursive: true });
    return p;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.ports.api}`;
  }

  healthUrl(name: ServiceName): string {
    return `http://127.0.0.1:${this.ports[name]}/health`;
  }

  env(): Record<string, string> {
    return {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      ATTUNE_ENV: 'test',
      ATTUNE_LOG_LEVEL: 'info',
      ATTUNE_DATABASE_URL: this.opts.databaseUrl,
      ATTUNE_AMQP_URL: this.opts.amqpUrl,
      ATTUNE_AMQP_NAMESPACE: this.opts.namespace,
      ATTUNE_API_PORT: String(this.ports.api),
      ATTUNE_EXECUTOR_PORT: String(this.ports.executor),
      ATTUNE_WORKER_PORT: String(this.ports.worker),
      ATTUNE_ARTIFACT_STORE_PORT: String(this.ports['artifact-store']),
      ATTUNE_API_URL: this.apiUrl,
      ATTUNE_STORAGE_FS_ROOT: join(this.opts.logDir, 'blobs'),
      ATTUNE_WORK_DIR: join(this.opts.logDir, 'work'),
      ...this.opts.env,
    };
  }

  async start(name: ServiceName): Promise<void> {
    if (this.isRunning(name)) return;
    let log = this.logs.get(name);
    if (!log) {
      log = createWriteStream(join(this.opts.logDir, `${name}.log`), { flags: 'a' });
      this.logs.set(name, log);
    }
    const child = spawn(process.execPath, [resolve(this.opts.root, 'dist/apps', name, 'main.js')], {
      cwd: this.opts.root,
      env: this.env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    this.procs.set(name, child);
    let exited = false;
    child.once('exit', () => (exited = true));
    await waitFor(
      async () => {
        if (exited) return 'exited';
        const res = await fetch(this.healthUrl(name));
        return res.status === 200 ? 'healthy' : undefined;
      },
      { timeoutMs: SERVICE_START_TIMEOUT_MS, intervalMs: 100, what: `${name} to become healthy` },
    ).then((state) => {
      if (state === 'exited') throw new Error(`${name} exited with code ${child.exitCode}; see ${join(this.opts.logDir, name + '.log')}`);
    });
  }

  /** The process of the main instance of a service, while it runs. */
  processOf(name: ServiceName): ChildProcess | undefined {
    return this.isRunning(name) ? this.procs.get(name) : undefined;
  }

  isRunning(name: ServiceName): boolean {
    const child = this.procs.get(name);
    // A service stopped by a signal has a null exit code and a signalCode instead.
    return !!child && child.exitCode === null && child.signalCode === null;
  }

  async stop(name: ServiceName, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const child = this.procs.get(name);
    if (!child || !this.isRunning(name)) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  }

  async startAll(): Promise<void> {
    // The api registers the core pack and the administrator, so it comes first.
    await this.start('api');
    await Promise.all(SERVICES.filter((s) => s !== 'api').map((s) => this.start(s)));
  }

  /**
   * Starts one more instance of a service on its own port, logging to `<name>-<n>.log`.
   * `env` overrides variables of this instance only (e.g. ATTUNE_WORKER_NAME).
   */
  async startExtra(name: ServiceName, env: Record<string, string> = {}): Promise<ExtraInstance> {
    const port = await freePort();
    const portVar = {
      api: 'ATTUNE_API_PORT',
      executor: 'ATTUNE_EXECUTOR_PORT',
      worker: 'ATTUNE_WORKER_PORT',
      'artifact-store': 'ATTUNE_ARTIFACT_STORE_PORT',
    }[name];
    const index = this.extras.filter((e) => e.name === name).length + 2;
    const log = createWriteStream(join(this.opts.logDir, `${name}-${index}.log`), { flags: 'a' });
    const child = spawn(process.execPath, [resolve(this.opts.root, 'dist/apps', name, 'main.js')], {
      cwd: this.opts.root,
      env: { ...this.env(), [portVar]: String(port), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    let exited = false;
    child.once('exit', () => {
      exited = true;
      log.end();
    });
    const healthUrl = `http://127.0.0.1:${port}/health`;
    const state = await waitFor(
      async () => {
        if (exited) return 'exited';
        const res = await fetch(healthUrl);
        return res.status === 200 ? 'healthy' : undefined;
      },
      { timeoutMs: SERVICE_START_TIMEOUT_MS, intervalMs: 100, what: `${name} #${index} to become healthy` },
    );
    if (state === 'exited') throw new Error(`${name} #${index} exited with code ${child.exitCode}`);
    const instance: ExtraInstance = {
      name,
      port,
      process: child,
      healthUrl,
      stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
        if (exited) return;
        const gone = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await gone;
        clearTimeout(timer);
      },
    };
    this.extras.push(instance);
    return instance;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...SERVICES.map((s) => this.stop(s)), ...this.extras.map((e) => e.stop())]);
    for (const log of this.logs.values()) log.end();
  }
}
