import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CliError, ExitCode } from '../errors/exit-codes';

/** What `attune login` stores: the server and the tokens for it. */
export interface CliConfig {
  url?: string;
  login?: string;
  access_token?: string;
  refresh_token?: string;
  /** When the access token expires (ISO-8601); refreshed a little before. */
  access_expires_at?: string;
}

/**
 * config.json in the user's config directory. The tokens are credentials: the file is written
 * with mode 0600 (in a 0700 directory) through a temporary file and a rename, so a crash never
 * leaves half a file and no other user can read it at any moment.
 */
export class ConfigStore {
  constructor(readonly dir: string) {}

  get path(): string {
    return join(this.dir, 'config.json');
  }

  async load(): Promise<CliConfig> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new CliError(`cannot read ${this.path}: ${(err as Error).message}`);
    }
    try {
      const parsed = JSON.parse(text);
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as CliConfig) : {};
    } catch {
      throw new CliError(`${this.path} is not valid JSON; fix it or delete it and run \`attune login\``, ExitCode.Auth);
    }
  }

  async save(config: CliConfig): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const tmp = join(this.dir, `.config.json.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await writeFile(tmp, JSON.stringify(config, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
      // writeFile's mode is filtered by the umask; 0600 is what we promise, whatever the umask.
      await chmod(tmp, 0o600);
      await rename(tmp, this.path);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw new CliError(`cannot write ${this.path}: ${(err as Error).message}`);
    }
  }

  async update(change: (c: CliConfig) => CliConfig): Promise<CliConfig> {
    const next = change(await this.load());
    await this.save(next);
    return next;
  }
}
