import { RUNTIMES, type Runtime } from '@attune/contracts';
import { ConfigError } from '@attune/service-kit';
import { spawn } from 'node:child_process';
import type { WorkerConfig } from '../config/worker.config';
import type { RunIdentity } from '../runner/run-identity';

const PROBE_TIMEOUT_MS = 10_000;

/** Whether `command args…` runs (as `identity` when given) and exits 0 within the timeout. */
export function answers(command: string, args: string[], env: NodeJS.ProcessEnv = process.env, identity?: RunIdentity): Promise<boolean> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(ok);
    };
    const child = spawn(command, args, {
      stdio: 'ignore',
      env: { PATH: env.PATH ?? '/usr/local/bin:/usr/bin:/bin' },
      // As a run uid: an interpreter under a directory only the worker may enter (say /root) does not count.
      ...(identity ? { uid: identity.uid, gid: identity.gid, cwd: '/' } : {}),
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(false);
    }, PROBE_TIMEOUT_MS);
    child.on('error', () => finish(false));
    child.on('exit', (code) => finish(code === 0));
  });
}

/** How each runtime is checked: the same interpreter and arguments the runner uses. */
export function probeCommand(runtime: Runtime, config: Pick<WorkerConfig, 'python' | 'node'>): [string, string[]] {
  switch (runtime) {
    case 'shell':
      return ['/bin/sh', ['-c', 'exit 0']];
    case 'python':
      return [config.python, ['-c', 'import json, sys; sys.exit(0)']];
    case 'node':
      return [config.node, ['-e', 'process.exit(0)']];
  }
}

/**
 * The runtimes this worker can run, found by running each interpreter once at startup. With
 * ATTUNE_WORKER_RUNTIMES set, only those are offered, and one that does not answer stops the
 * worker: a worker that advertises what it cannot run would fail every such execution. When
 * actions run as uids of their own, each interpreter is tried as the first of them.
 */
export async function detectRuntimes(
  config: Pick<WorkerConfig, 'python' | 'node' | 'runtimesWanted'>,
  env = process.env,
  identity?: RunIdentity,
): Promise<Runtime[]> {
  const wanted = config.runtimesWanted?.length ? [...new Set(config.runtimesWanted)] : [...RUNTIMES];
  const results = await Promise.all(wanted.map(async (r) => [r, await answers(...probeCommand(r, config), env, identity)] as const));
  const missing = results.filter(([, ok]) => !ok).map(([r]) => r);
  if (config.runtimesWanted?.length && missing.length) {
    throw new ConfigError(missing.map((r) => `runtime ${r} is listed in ATTUNE_WORKER_RUNTIMES but ${probeCommand(r, config)[0]} does not run`));
  }
  const found = results.filter(([, ok]) => ok).map(([r]) => r);
  if (!found.length) throw new ConfigError(['no runtime works on this machine (not even /bin/sh)']);
  return found;
}
