import type { ExecutionDispatchV1 } from '@attune/contracts';
import { type Logger, ROOT_LOGGER } from '@attune/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { chmod, cp, lchown, lstat, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Counter, Histogram } from 'prom-client';
import { WorkerConfig } from '../config/worker.config';
import { runProcess } from '../runner/process-runner';
import { type HeldIdentity, RunIdentities } from '../runner/run-identity';
import { DigestDirectories, isDirectory, makeReadableByAll, renameIntoPlace } from './digest-directories';
import { OutputTail } from './output-tail';

const builds = new Counter({
  name: 'attune_worker_pack_environment_builds_total',
  help: 'Pack environments (virtualenv, node_modules) needed by runs, by outcome: built, failed or reused',
  labelNames: ['outcome'],
});
const buildSeconds = new Histogram({
  name: 'attune_worker_pack_environment_build_seconds',
  help: 'Time to build one pack environment',
  buckets: [1, 2.5, 5, 10, 30, 60, 120, 300, 600],
});

/** What an action of a pack runs with: the pack's virtualenv interpreter, its node_modules. */
export interface PackEnvironment {
  python?: string;
  nodeModules?: string;
}

/** A pack environment that could not be built; the execution fails with this message. */
export class PackEnvironmentError extends Error {}

/** Characters of the installer's output kept for the error of a failed build. */
const TAIL_CHARS = 3000;
const LOCKFILES = ['package-lock.json', 'npm-shrinkwrap.json'];

interface Needs {
  python: boolean;
  node: boolean;
  /** `requirements.txt` pins hashes: install with `--require-hashes`. */
  hashes: boolean;
  lockfile: boolean;
}

/**
 * The environments of uploaded packs: `requirements.txt` installed with pip into a virtualenv,
 * `package.json` installed with npm into node_modules, built once per pack SHA-256 under
 * `ATTUNE_PACK_ENV_DIR/<sha256>/{python,node}` and reused while present.
 *
 * - **Once.** Concurrent runs of one digest wait on one build here. The build happens in a
 *   private directory renamed into place when complete, so a directory under its digest is
 *   always whole and is never changed afterwards: no installer ever runs in an environment an
 *   execution uses. A failed build leaves nothing, its error goes to every run that waited on it,
 *   and the next run tries again.
 * - **Bounded.** All installer steps together get `ATTUNE_PACK_ENV_TIMEOUT_MS`; then their
 *   process group is killed and the build fails.
 * - **Isolated.** Installers run pack-supplied code (a `setup.py`), so when actions get uids of
 *   their own the installers run as one too, on a copy of the pack, with a private HOME and
 *   nothing of the worker's environment but PATH, LANG and TZ. The result is then handed to the
 *   worker's user and made read-only for everyone else: actions read their environment, never
 *   change it.
 */
@Injectable()
export class PackEnvironments {
  private readonly environments: DigestDirectories<PackEnvironment>;

  constructor(
    private readonly config: WorkerConfig,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
    private readonly identities: RunIdentities,
  ) {
    this.environments = new DigestDirectories(config.packEnvDir);
  }

  /**
   * The environment of the pack the dispatch names (extracted at `packDir`), built first if the
   * pack declares dependencies and it is not here yet. Packs without a digest (from
   * ATTUNE_PACKS_DIR) have none. `signal` stops the wait, not a build other runs share.
   */
  async prepare(d: ExecutionDispatchV1, packDir: string, signal?: AbortSignal): Promise<PackEnvironment> {
    const digest = d.action.pack_digest;
    if (!digest) return {};
    const needs = await this.needs(packDir);
    if (!needs.python && !needs.node) return {};
    const dir = join(this.config.packEnvDir, digest);
    if (await isDirectory(dir)) {
      builds.inc({ outcome: 'reused' });
      return describe(dir, needs);
    }
    const pending = this.environments.once(digest, () => this.build(d, packDir, dir, needs));
    return signal ? abortable(pending, signal) : pending;
  }

  /** What the pack declares that this worker can run: only runtimes it offers are built. */
  private async needs(packDir: string): Promise<Needs> {
    const offers = new Set(this.config.runtimes);
    const requirements = offers.has('python') ? await readFile(join(packDir, 'requirements.txt'), 'utf8').catch(() => undefined) : undefined;
    const lines = (requirements ?? '').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    let node = false;
    let lockfile = false;
    if (offers.has('node')) {
      const manifest = await readFile(join(packDir, 'package.json'), 'utf8').catch(() => undefined);
      if (manifest !== undefined) {
        let deps: unknown;
        try {
          const parsed = JSON.parse(manifest) as { dependencies?: unknown; optionalDependencies?: unknown };
          deps = { ...(parsed.dependencies as object), ...(parsed.optionalDependencies as object) };
        } catch {
          deps = { invalid: true }; // npm reports what is wrong with it
        }
        node = Object.keys(deps as object).length > 0;
        lockfile = (await Promise.all(LOCKFILES.map((f) => isFile(join(packDir, f))))).some(Boolean);
      }
    }
    return { python: lines.length > 0, node, hashes: lines.some((l) => /--hash[=\s]/.test(l)), lockfile };
  }

  private async build(d: ExecutionDispatchV1, packDir: string, dir: string, needs: Needs): Promise<PackEnvironment> {
    const pack = d.action.pack_ref;
    const log = this.logger.child({ execution_id: d.execution_id, pack, digest: d.action.pack_digest });
    const started = Date.now();
    const deadline = started + this.config.packEnvTimeoutMs;
    await this.envRoot();
    // <root>/.tmp-<uuid>/ (0711): env/ becomes the environment, src/ is a copy of the pack the
    // installers work in (relative paths in requirements and file: dependencies resolve there,
    // and a source build writes there, never into the shared pack), home/ is their HOME.
    const work = join(this.config.packEnvDir, `.tmp-${randomUUID()}`);
    await mkdir(work, { mode: 0o700 });
    let identity: HeldIdentity | undefined;
    try {
      await chmod(work, 0o711);
      const env = join(work, 'env');
      const src = join(work, 'src');
      const home = join(work, 'home');
      await Promise.all([mkdir(env, { mode: 0o755 }), mkdir(home, { mode: 0o700 }), cp(packDir, src, { recursive: true, verbatimSymlinks: true })]);
      identity = await this.identities.acquire();
      if (identity) for (const path of [env, src, home]) await chownTree(path, identity.uid, identity.gid);
      const step = (what: string, command: string, args: string[], cwd: string) => this.installer(pack, what, command, args, cwd, home, deadline, identity);
      if (needs.python) {
        const venv = join(env, 'python');
        await step('python -m venv', this.config.python, ['-m', 'venv', venv], home);
        await step('pip install -r requirements.txt', join(venv, 'bin', 'python'), ['-m', 'pip', 'install', ...this.pipOptions(needs), '-r', 'requirements.txt'], src);
      }
      if (needs.node) {
        const npmArgs = ['--ignore-scripts', '--install-links', '--omit=dev', '--no-audit', '--no-fund', '--no-update-notifier', ...(this.config.npmRegistry ? ['--registry', this.config.npmRegistry] : [])];
        await step(needs.lockfile ? 'npm ci' : 'npm install', this.config.npm, [needs.lockfile ? 'ci' : 'install', ...npmArgs], src);
        await mkdir(join(env, 'node'), { mode: 0o755 });
        // Only the installed modules are kept; the pack's own files stay in the pack.
        await rename(join(src, 'node_modules'), join(env, 'node', 'node_modules')).catch(async (err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err;
          await mkdir(join(env, 'node', 'node_modules'));
        });
      }
      // Nothing of the installers outlives them (a background process could still write).
      await identity?.release();
      identity = undefined;
      await writeFile(join(env, 'environment.json'), JSON.stringify({ pack, digest: d.action.pack_digest, built_at: new Date().toISOString(), python: needs.python, node: needs.node }) + '\n');
      const self = { uid: process.getuid?.() ?? -1, gid: process.getgid?.() ?? -1 };
      if (self.uid >= 0) await chownTree(env, self.uid, self.gid);
      await makeReadableByAll(env);
      await renameIntoPlace(env, dir);
      builds.inc({ outcome: 'built' });
      buildSeconds.observe((Date.now() - started) / 1000);
      log.info({ duration_ms: Date.now() - started, python: needs.python, node: needs.node }, 'pack environment built');
      return describe(dir, needs);
    } catch (err) {
      builds.inc({ outcome: 'failed' });
      log.warn({ err: (err as Error).message }, 'pack environment could not be built');
      throw err instanceof PackEnvironmentError ? err : new PackEnvironmentError(`the environment of pack "${pack}" could not be built: ${(err as Error).message}`);
    } finally {
      await identity?.release();
      await rm(work, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  private pipOptions(needs: Needs): string[] {
    const c = this.config;
    return [
      '--disable-pip-version-check',
      '--no-input',
      '--no-cache-dir',
      ...(needs.hashes ? ['--require-hashes'] : []),
      ...(c.pipNoIndex ? ['--no-index'] : []),
      ...(c.pipIndexUrl ? ['--index-url', c.pipIndexUrl] : []),
      ...(c.pipFindLinks ?? '').split(',').map((l) => l.trim()).filter(Boolean).flatMap((l) => ['--find-links', l]),
    ];
  }

  /** Runs one installer step; a failure names the pack and the step and ends with its output's tail. */
  private async installer(pack: string, what: string, command: string, args: string[], cwd: string, home: string, deadline: number, identity?: HeldIdentity): Promise<void> {
    const left = deadline - Date.now();
    const tail = new OutputTail(TAIL_CHARS * 4);
    const limit = Math.round(this.config.packEnvTimeoutMs / 1000);
    if (left <= 0) throw new PackEnvironmentError(`the environment of pack "${pack}" was not built within ${limit}s`);
    const env: Record<string, string> = { HOME: home, TMPDIR: home, npm_config_cache: join(home, '.npm'), PIP_NO_INPUT: '1' };
    for (const key of ['PATH', 'LANG', 'TZ'] as const) if (process.env[key]) env[key] = process.env[key] as string;
    env.PATH ??= '/usr/local/bin:/usr/bin:/bin';
    const outcome = await runProcess({ command, args, cwd, env, stdin: '', timeoutMs: left, killGraceMs: 2000, captureBytes: 0, sinks: { stdout: tail, stderr: tail }, identity });
    if (outcome.exitCode === 0) return;
    const why = outcome.spawnError
      ? `could not be started: ${outcome.spawnError}`
      : outcome.timedOut
        ? `did not finish within the ${limit}s the build may take (ATTUNE_PACK_ENV_TIMEOUT_MS)`
        : outcome.exitCode !== null
          ? `exited with code ${outcome.exitCode}`
          : `was killed by ${outcome.signal}`;
    const output = tail.text(TAIL_CHARS);
    throw new PackEnvironmentError(`the environment of pack "${pack}" could not be built: ${what} ${why}${output ? `:\n${output}` : ''}`);
  }

  /**
   * The environments root: 0711, so actions reach their pack's by digest but cannot list them.
   * Build directories older than the time bound were left by a worker that stopped mid-build
   * (another worker's build in progress is younger): they are removed once per process.
   */
  private async envRoot(): Promise<void> {
    if (!(await this.environments.prepareRoot())) return;
    const stale = Date.now() - this.config.packEnvTimeoutMs - 60_000;
    for (const name of await readdir(this.config.packEnvDir).catch(() => [] as string[])) {
      if (!name.startsWith('.tmp-')) continue;
      const path = join(this.config.packEnvDir, name);
      if (((await lstat(path).catch(() => undefined))?.mtimeMs ?? Infinity) < stale) await rm(path, { recursive: true, force: true }).catch(() => undefined);
    }
  }
}

function describe(dir: string, needs: Needs): PackEnvironment {
  return {
    ...(needs.python ? { python: join(dir, 'python', 'bin', 'python') } : {}),
    ...(needs.node ? { nodeModules: join(dir, 'node', 'node_modules') } : {}),
  };
}

/** Waits for `work` unless `signal` is aborted first (the work itself goes on for other waiters). */
function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new PackEnvironmentError('cancelled while its pack environment was being built'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new PackEnvironmentError('cancelled while its pack environment was being built'));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Gives a tree to uid:gid without following symbolic links (lchown on every entry). */
async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  await lchown(path, uid, gid);
  const s = await lstat(path).catch(() => undefined);
  if (!s?.isDirectory()) return;
  for (const entry of await readdir(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) await chownTree(child, uid, gid);
    else await lchown(child, uid, gid);
  }
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}
