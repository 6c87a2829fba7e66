import { homedir } from 'node:os';
import { join } from 'node:path';

/** What the CLI takes from its environment. The only place that reads process.env. */
export interface CliEnv {
  /** Directory of config.json. */
  configDir: string;
  /** ATTUNE_PASSWORD, for `attune login` in scripts. */
  password?: string;
  /** ATTUNE_DEBUG=1 prints stack traces of unexpected errors. */
  debug: boolean;
  /**
   * ATTUNE_URL: the server, overriding the one `attune login` stored. Inside an action, where
   * neither ATTUNE_URL nor ATTUNE_TOKEN is set, the ATTUNE_API_URL the worker gives it.
   */
  url?: string;
  /**
   * A bearer token used instead of the stored login, never refreshed or stored: ATTUNE_TOKEN (an
   * API key, for scripts and CI), else the ATTUNE_API_TOKEN the worker gives every action (its
   * execution token), so the CLI works inside an action with no login.
   */
  token?: string;
  /** Which variable `token` came from, to name it when the server refuses it. */
  tokenSource?: 'ATTUNE_TOKEN' | 'ATTUNE_API_TOKEN';
  /** ATTUNE_EXEC_ID inside an action: the execution its artifacts belong to. */
  executionId?: number;
  /** COLUMNS: the terminal width, when the terminal does not say (or to override it). */
  columns?: number;
  /** NO_COLOR (any value) turns colours off; FORCE_COLOR=1 turns them on even without a terminal. */
  color?: boolean;
}

export function cliEnvFrom(env: NodeJS.ProcessEnv = process.env): CliEnv {
  const columns = Number(env.COLUMNS);
  const execId = env.ATTUNE_EXEC_ID && /^[1-9][0-9]{0,15}$/.test(env.ATTUNE_EXEC_ID) ? Number(env.ATTUNE_EXEC_ID) : undefined;
  return {
    configDir: configDirFrom(env),
    password: env.ATTUNE_PASSWORD || undefined,
    debug: !!env.ATTUNE_DEBUG && env.ATTUNE_DEBUG !== '0',
    ...credentialsFrom(env),
    ...(execId ? { executionId: execId } : {}),
    columns: Number.isInteger(columns) && columns > 0 ? columns : undefined,
    color: env.NO_COLOR !== undefined && env.NO_COLOR !== '' ? false : env.FORCE_COLOR && env.FORCE_COLOR !== '0' ? true : undefined,
  };
}

function credentialsFrom(env: NodeJS.ProcessEnv): Pick<CliEnv, 'url' | 'token' | 'tokenSource'> {
  const url = env.ATTUNE_URL?.trim() || undefined;
  const token = env.ATTUNE_TOKEN?.trim() || undefined;
  if (url || token) return { url, token, ...(token ? { tokenSource: 'ATTUNE_TOKEN' as const } : {}) };
  const apiUrl = env.ATTUNE_API_URL?.trim();
  const apiToken = env.ATTUNE_API_TOKEN?.trim();
  if (apiUrl && apiToken) return { url: apiUrl, token: apiToken, tokenSource: 'ATTUNE_API_TOKEN' };
  return {};
}

/** ATTUNE_CONFIG_DIR, else $XDG_CONFIG_HOME/attune, else ~/.config/attune. */
export function configDirFrom(env: NodeJS.ProcessEnv, home = homedir()): string {
  if (env.ATTUNE_CONFIG_DIR) return env.ATTUNE_CONFIG_DIR;
  // The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg && xdg.startsWith('/')) return join(xdg, 'attune');
  return join(home, '.config', 'attune');
}
