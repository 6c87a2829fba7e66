import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { downloadTarget, guessTypes, refFromFilename, safeFilename } from './artifact.commands';

describe('artifact helpers', () => {
  it('makes a valid ref from a file name', () => {
    expect(refFromFilename('app-v1.2.3.bin')).toBe('app-v1.2.3.bin');
    expect(refFromFilename('my report (final).pdf')).toBe('my_report__final_.pdf');
    expect(refFromFilename('.hidden')).toBe('hidden');
    expect(refFromFilename('...')).toBe('artifact');
  });

  it('guesses the type and media type from the extension', () => {
    expect(guessTypes('results.csv')).toEqual({ type: 'file_datatable', contentType: 'text/csv' });
    expect(guessTypes('build.log')).toEqual({ type: 'file_text', contentType: 'text/plain' });
    expect(guessTypes('shot.PNG')).toEqual({ type: 'file_image', contentType: 'image/png' });
    expect(guessTypes('app.bin')).toEqual({ type: 'file_binary', contentType: 'application/octet-stream' });
  });

  it('never lets a server-given name choose a path', () => {
    expect(safeFilename('../../etc/passwd', 'x')).toBe('passwd');
    expect(safeFilename('..', 'artifact-7')).toBe('artifact-7');
    expect(safeFilename(null, 'artifact-7')).toBe('artifact-7');
    expect(safeFilename('a\\b\nc', 'x')).toBe('b_c');
  });

  it('puts the file in a directory given with -o, or at the path given', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'attune-cli-target-'));
    try {
      expect(await downloadTarget(dir, 'app.bin')).toBe(join(dir, 'app.bin'));
      expect(await downloadTarget(join(dir, 'new') + '/', 'app.bin')).toBe(join(dir, 'new', 'app.bin'));
      expect(await downloadTarget(join(dir, 'renamed.bin'), 'app.bin')).toBe(join(dir, 'renamed.bin'));
      expect(await downloadTarget(undefined, 'app.bin')).toBe(resolve('app.bin'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
