import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The workspace root (where nx.json and eslint.config.mjs are), found upwards from the working directory. */
export function workspaceRoot(): string {
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'eslint.config.mjs')) && existsSync(join(dir, 'nx.json'))) return dir;
    if (dirname(dir) === dir) throw new Error('the workspace root was not found above the working directory');
  }
}
