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
}

export function cliEnvFrom(env: NodeJS.ProcessEnv = process.env): CliEnv {
  return { configDir: configDirFrom(env), password: env.ATTUNE_PASSWORD || undefined, debug: !!env.ATTUNE_DEBUG && env.ATTUNE_DEBUG !== '0' };
}

/** ATTUNE_CONFIG_DIR, else $XDG_CONFIG_HOME/attune, else ~/.config/attune. */
export function configDirFrom(env: NodeJS.ProcessEnv, home = homedir()): string {
  if (env.ATTUNE_CONFIG_DIR) return env.ATTUNE_CONFIG_DIR;
  // The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg && xdg.startsWith('/')) return join(xdg, 'attune');
  return join(home, '.config', 'attune');
}
