import { buildTarGz, type TarEntry } from '@attune/testing';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractPackArchive, PackArchiveError, safeEntryPath } from './pack-archive';

let work: string;
let dest: string;
let outside: string;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'attune-archive-'));
  dest = join(work, 'dest');
  outside = join(work, 'outside');
  await mkdir(dest);
  await mkdir(outside);
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

async function extract(entries: TarEntry[], limits = { maxExtractedBytes: 1024 * 1024, maxEntries: 100 }) {
  const file = join(work, 'pack.tar.gz');
  await writeFile(file, await buildTarGz(entries));
  return extractPackArchive(file, dest, limits);
}

async function refused(entries: TarEntry[], problem: string, limits?: { maxExtractedBytes: number; maxEntries: number }) {
  const err = await extract(entries, limits).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PackArchiveError);
  expect([(err as PackArchiveError).problem, (err as Error).message]).toEqual([problem, expect.any(String)]);
  // Whatever the archive tried, nothing appeared next to the extraction directory.
  expect(await readdir(outside)).toEqual([]);
  expect((await readdir(work)).sort()).toEqual(['dest', 'outside', 'pack.tar.gz']);
  return err as PackArchiveError;
}

describe('extractPackArchive', () => {
  it('extracts files and directories and lists the files', async () => {
    const out = await extract([
      { path: './', type: 'dir' },
      { path: './pack.yaml', content: 'ref: demo\n' },
      { path: './actions/', type: 'dir' },
      { path: './actions/hello.py', content: 'print(1)\n', mode: 0o4755 },
      { path: './actions/link.py', type: 'symlink', linkpath: 'hello.py' },
    ]);
    expect(out.files).toEqual([
      { path: 'actions/hello.py', size: 9 },
      { path: 'pack.yaml', size: 10 },
    ]);
    expect(await readFile(join(dest, 'actions/link.py'), 'utf8')).toBe('print(1)\n');
  });

  it('refuses a path with ..', async () => {
    const err = await refused([{ path: 'ok.txt', content: 'x' }, { path: '../outside/evil.txt', content: 'pwned' }], 'unsafe_entry');
    expect(err.message).toContain('".."');
    expect(err.entry).toBe('../outside/evil.txt');
  });

  it('refuses an absolute path', async () => {
    const err = await refused([{ path: join(outside, 'evil.txt'), content: 'pwned' }], 'unsafe_entry');
    expect(err.message).toContain('absolute');
  });

  it('refuses a symbolic link out of the pack, absolute or relative', async () => {
    await refused([{ path: 'escape', type: 'symlink', linkpath: outside }], 'unsafe_entry');
    await rm(dest, { recursive: true });
    await mkdir(dest);
    const err = await refused([{ path: 'sub/escape', type: 'symlink', linkpath: '../../outside' }], 'unsafe_entry');
    expect(err.message).toContain('outside the pack');
  });

  it('refuses writing through a link, even one pointing inside', async () => {
    const err = await refused(
      [
        { path: 'dir/', type: 'dir' },
        { path: 'alias', type: 'symlink', linkpath: 'dir' },
        { path: 'alias/file', content: 'x' },
      ],
      'unsafe_entry',
    );
    expect(err.message).toContain('through the link');
  });

  it('refuses a chain of links that each look inside but together leave the pack', async () => {
    // Lexically "a/b/l/../.." is "a", but a/b/l is a link to "a", so the real target is dest/.. .
    const err = await refused(
      [
        { path: 'a/', type: 'dir' },
        { path: 'a/b/', type: 'dir' },
        { path: 'a/b/l', type: 'symlink', linkpath: '..' },
        { path: 'c', type: 'symlink', linkpath: 'a/b/l/../..' },
      ],
      'unsafe_entry',
    );
    expect(err.entry).toBe('c');
    expect(err.message).toContain('resolves outside the pack');
  });

  it('refuses a hard link to a symbolic link whose target then resolves from another directory', async () => {
    await refused(
      [
        { path: 'x/y/', type: 'dir' },
        { path: 'x/y/s', type: 'symlink', linkpath: '../../outside' },
        { path: 'h', type: 'hardlink', linkpath: 'x/y/s' },
      ],
      'unsafe_entry',
    );
  });

  it('refuses dangling links and loops of links', async () => {
    await refused([{ path: 'gone', type: 'symlink', linkpath: 'missing.txt' }], 'unsafe_entry');
    await rm(dest, { recursive: true });
    await mkdir(dest);
    await refused(
      [
        { path: 'p', type: 'symlink', linkpath: 'q' },
        { path: 'q', type: 'symlink', linkpath: 'p' },
      ],
      'unsafe_entry',
    );
  });

  it('refuses a hard link out of the pack', async () => {
    await refused([{ path: 'passwd', type: 'hardlink', linkpath: '../outside/x' }], 'unsafe_entry');
  });

  it('refuses devices and FIFOs', async () => {
    await refused([{ path: 'fifo', type: 'fifo' }], 'unsafe_entry');
  });

  it('refuses an archive that expands beyond the limit, before writing it', async () => {
    const err = await refused([{ path: 'bomb.bin', zeros: 50 * 1024 * 1024 }], 'too_large', { maxExtractedBytes: 10 * 1024 * 1024, maxEntries: 10 });
    expect(err.message).toContain('expands to more than');
    expect(existsSync(join(dest, 'bomb.bin'))).toBe(false);
  });

  it('refuses too many entries', async () => {
    const entries = Array.from({ length: 12 }, (_, i) => ({ path: `f${i}`, content: 'x' }));
    await refused(entries, 'too_many_entries', { maxExtractedBytes: 1024, maxEntries: 10 });
  });

  it('refuses what is not a gzip-compressed tar', async () => {
    const file = join(work, 'plain.tar.gz');
    await writeFile(file, 'just text');
    await expect(extractPackArchive(file, dest)).rejects.toMatchObject({ problem: 'not_gzip' });
    await writeFile(file, Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]));
    await expect(extractPackArchive(file, dest)).rejects.toMatchObject({ problem: 'malformed' });
  });
});

describe('safeEntryPath', () => {
  it('normalises harmless forms and refuses the rest', () => {
    expect(safeEntryPath('./a//b/')).toBe('a/b');
    expect(safeEntryPath('./')).toBe('');
    expect(() => safeEntryPath('a/../../b')).toThrow('..');
    expect(() => safeEntryPath('C:\\x')).toThrow('absolute');
    expect(() => safeEntryPath('a\\b')).toThrow('backslash');
  });
});
