import type { ActionSnapshot } from '@attune/contracts';
import type { WorkerConfig } from '../config/worker.config';
import type { PackEnvironment } from './pack-environment.service';

/**
 * Variables an action's process gets from its pack: NODE_PATH naming the pack environment's
 * node_modules (so `require` finds what `package.json` declared), and for the built-in core pack
 * the address ranges core.http_request refuses. The api refuses both names in `env_vars`, so an
 * execution cannot set them itself.
 */
export function packVariables(action: ActionSnapshot, env: PackEnvironment, config: Pick<WorkerConfig, 'httpRequestDeny'>): Record<string, string> {
  const vars: Record<string, string> = {};
  if (env.nodeModules && action.runtime === 'node') vars.NODE_PATH = env.nodeModules;
  if (action.pack_ref === 'core' && !action.pack_digest) vars.ATTUNE_HTTP_REQUEST_DENY = config.httpRequestDeny;
  return vars;
}

/** The interpreter of a script action: a python action runs with its pack's virtualenv when it has one. */
export function interpreterFor(runtime: 'python' | 'node', env: PackEnvironment, config: Pick<WorkerConfig, 'python' | 'node'>): string {
  return runtime === 'python' ? (env.python ?? config.python) : config.node;
}
