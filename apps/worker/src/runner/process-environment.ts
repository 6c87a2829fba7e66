import { ENV_VAR_NAME, type ExecutionDispatchV1, protectedEnvNameReason } from '@attune/contracts';

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Names the worker sets from its own environment; a parameter's plain name never replaces them. */
const INHERITED = new Set(['LANG', 'LC_ALL', 'TZ']);

/** How a parameter value looks as an environment variable: strings as they are, the rest as JSON. */
export function envValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

export interface ProcessContext {
  apiUrl: string;
  workDir: string;
  artifactsDir: string;
  parameterFile: string;
  /** The worker's own PATH, LANG and TZ; nothing else of the worker's environment leaks in. */
  inherited: Record<string, string | undefined>;
}

/**
 * The environment of an action's process. Parameters arrive as values of variables, never as
 * shell text, so no value is ever executed. Secret parameters are left out (they reach the
 * process on stdin and in the parameter file only).
 */
export function buildEnvironment(d: ExecutionDispatchV1, ctx: ProcessContext): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ['PATH', 'LANG', 'TZ'] as const) {
    const v = ctx.inherited[key];
    if (v) env[key] = v;
  }
  env.PATH ??= '/usr/local/bin:/usr/bin:/bin';
  env.HOME = ctx.workDir;
  env.TMPDIR = ctx.workDir;
  // The api refuses these names with 422 (api-contract.md); they are dropped here again so a
  // dispatch that did not pass through it (an old message, a bus publisher) cannot set them.
  for (const [name, value] of Object.entries(d.env_vars ?? {})) {
    if (ENV_VAR_NAME.test(name) && !protectedEnvNameReason(name) && typeof value === 'string' && !value.includes('\0')) env[name] = value;
  }
  const secrets = new Set(d.action.secret_parameters);
  for (const [name, value] of Object.entries(d.parameters)) {
    if (secrets.has(name) || !PARAM_NAME.test(name)) continue;
    const text = envValue(value);
    env[`PARAM_${name.toUpperCase()}`] = text;
    // Under its plain name only when that name (in capitals) is not one that changes how the
    // process starts: a parameter `http_proxy` or `node_options` is $PARAM_HTTP_PROXY only.
    if (!protectedEnvNameReason(name) && !INHERITED.has(name.toUpperCase())) env[name] = text;
  }
  env.ATTUNE_API_URL = ctx.apiUrl;
  env.ATTUNE_EXEC_ID = String(d.execution_id);
  env.ATTUNE_ACTION = d.action.ref;
  env.ATTUNE_API_TOKEN = d.token;
  env.ATTUNE_ARTIFACTS_DIR = ctx.artifactsDir;
  env.ATTUNE_PARAMETER_FILE = ctx.parameterFile;
  return env;
}
