import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { globToRegExp, openInside, selectFiles } from './artifact-files';

describe('globToRegExp', () => {
  it('matches * and ? within a segment, ** across segments, and classes', () => {
    expect(globToRegExp('dist/*.bin').test('dist/app.bin')).toBe(true);
    expect(globToRegExp('dist/*.bin').test('dist/sub/app.bin')).toBe(false);
    expect(globToRegExp('**/*.xml').test('report.xml')).toBe(true);
    expect(globToRegExp('**/*.xml').test('a/b/report.xml')).toBe(true);
    expect(globToRegExp('log?.txt').test('log1.txt')).toBe(true);
    expect(globToRegExp('log[12].txt').test('log3.txt')).toBe(false);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
  });
});

describe('selectFiles', () => {
  let work: string;

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'attune-artifact-files-'));
    await mkdir(join(work, 'artifacts/sub'), { recursive: true });
    await mkdir(join(work, 'dist/a'), { recursive: true });
    await mkdir(join(work, 'dist/b'), { recursive: true });
    await writeFile(join(work, 'parameters.json'), '{"password":"x"}');
    await writeFile(join(work, 'report.xml'), '<r/>');
    await writeFile(join(work, 'dist/a/app.log'), 'a');
    await writeFile(join(work, 'dist/b/app.log'), 'b');
    await writeFile(join(work, 'artifacts/notes.txt'), 'n');
    await writeFile(join(work, 'artifacts/sub/deep.csv'), 'd');
    await symlink('/etc/passwd', join(work, 'artifacts/passwd'));
    await symlink('/etc', join(work, 'etc'));
  });

  afterEach(() => rm(work, { recursive: true, force: true }));

  it('keeps declared matches, then the artifacts directory, never links or the parameter file', async () => {
    const selection = await selectFiles(
      work,
      join(work, 'artifacts'),
      [
        { path: 'report.xml', name: 'junit' },
        { path: 'dist/**/*.log' },
        { path: '*.json' },
        { path: 'etc/passwd' },
        { path: 'missing.bin', required: true },
        { path: 'only-on-success.txt', when: 'success' },
      ],
      false,
      ['parameters.json'],
    );
    expect(selection.files).toEqual([
      { name: 'junit', path: 'report.xml', type: 'file_text' },
      { name: 'app.log', path: 'dist/a/app.log', type: 'file_text' },
      { name: 'dist/b/app.log', path: 'dist/b/app.log', type: 'file_text' },
      { name: 'notes.txt', path: 'artifacts/notes.txt', type: 'file_text' },
      { name: 'sub/deep.csv', path: 'artifacts/sub/deep.csv', type: 'file_datatable' },
    ]);
    // `*.json` matched only the parameter file, which is never kept; a `when: success` file is not looked for after a failure.
    expect(selection.missing.map((m) => [m.declaration.path, m.required])).toEqual([
      ['*.json', false],
      ['etc/passwd', false],
      ['missing.bin', true],
    ]);
  });

  it('opens only regular files inside the work directory', async () => {
    const { handle, size } = await openInside(work, 'report.xml');
    expect(size).toBe(4);
    await handle.close();
    await expect(openInside(work, 'artifacts/passwd')).rejects.toThrow();
    await expect(openInside(work, 'etc/passwd')).rejects.toThrow(/outside the work directory/);
  });
});
