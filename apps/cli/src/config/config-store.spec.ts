import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from '../errors/exit-codes';
import { configDirFrom } from './cli-env';
import { ConfigStore } from './config-store';

describe('configDirFrom', () => {
  it('prefers ATTUNE_CONFIG_DIR, then an absolute XDG_CONFIG_HOME, then ~/.config', () => {
    expect(configDirFrom({ ATTUNE_CONFIG_DIR: '/t/cfg', XDG_CONFIG_HOME: '/x' }, '/home/ann')).toBe('/t/cfg');
    expect(configDirFrom({ XDG_CONFIG_HOME: '/x' }, '/home/ann')).toBe('/x/attune');
    expect(configDirFrom({ XDG_CONFIG_HOME: 'relative' }, '/home/ann')).toBe('/home/ann/.config/attune');
    expect(configDirFrom({}, '/home/ann')).toBe('/home/ann/.config/attune');
  });
});

describe('ConfigStore', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'attune-cli-config-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('writes config.json with mode 0600 in a 0700 directory, leaving no temporary file', async () => {
    const store = new ConfigStore(join(dir, 'attune'));
    const old = process.umask(0o022);
    try {
      await store.save({ url: 'http://x', access_token: 'secret' });
    } finally {
      process.umask(old);
    }
    expect((await stat(store.path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'attune'))).mode & 0o777).toBe(0o700);
    expect(await readdir(join(dir, 'attune'))).toEqual(['config.json']);
    expect(await store.load()).toEqual({ url: 'http://x', access_token: 'secret' });
  });

  it('reads a missing file as empty and a corrupt one as a login problem', async () => {
    const store = new ConfigStore(dir);
    expect(await store.load()).toEqual({});
    await writeFile(store.path, '{nope');
    await expect(store.load()).rejects.toMatchObject({ exitCode: ExitCode.Auth });
  });
});
