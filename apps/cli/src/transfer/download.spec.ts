import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliError, ExitCode } from '../errors/exit-codes';
import { NO_PROGRESS } from '../output/progress-bar';
import { saveVerified, tempPathFor } from './download';

/** The CliError a promise rejects with (failing the test if it resolves). */
const failure = (p: Promise<unknown>): Promise<CliError> =>
  p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e as CliError,
  );

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const content = Buffer.from('the artifact content\n'.repeat(1000));

function response(body: Buffer | ReadableStream<Uint8Array>, headers: Record<string, string>): Response {
  return new Response(body as ConstructorParameters<typeof Response>[0], { status: 200, headers });
}

describe('saveVerified', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'attune-cli-download-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('renames the file into place when the SHA-256 matches', async () => {
    const target = join(dir, 'out.bin');
    const res = response(content, { 'x-checksum-sha256': sha(content), 'content-length': String(content.length) });
    const saved = await saveVerified({ response: res, target, expectedSha256: sha(content), expectedSize: content.length, progress: () => NO_PROGRESS });
    expect(saved).toEqual({ path: target, bytes: content.length, sha256: sha(content) });
    expect(await readFile(target)).toEqual(content);
    expect(await readdir(dir)).toEqual(['out.bin']);
  });

  it('deletes everything and keeps an existing target untouched when the bytes do not match (exit 6)', async () => {
    const target = join(dir, 'out.bin');
    await writeFile(target, 'previous');
    const corrupted = Buffer.from(content);
    corrupted[100] ^= 0xff;
    const res = response(corrupted, { 'x-checksum-sha256': sha(content), 'content-length': String(content.length) });
    const err = await failure(saveVerified({ response: res, target, progress: () => NO_PROGRESS }));
    expect(err.exitCode).toBe(ExitCode.Checksum);
    expect(err.message).toMatch(/Checksum mismatch/);
    expect(await readdir(dir)).toEqual(['out.bin']);
    expect(await readFile(target, 'utf8')).toBe('previous');
  });

  it('never replaces an existing file (a dotfile here) unless told to overwrite', async () => {
    const target = join(dir, '.bashrc');
    await writeFile(target, 'mine');
    const headers = { 'x-checksum-sha256': sha(content), 'content-length': String(content.length) };
    const err = await failure(saveVerified({ response: response(content, headers), target, progress: () => NO_PROGRESS }));
    expect(err.exitCode).toBe(ExitCode.Usage);
    expect(err.message).toBe(`${target} already exists; nothing was saved (use --force to overwrite it)`);
    expect(await readdir(dir)).toEqual(['.bashrc']);
    expect(await readFile(target, 'utf8')).toBe('mine');
    await saveVerified({ response: response(content, headers), target, progress: () => NO_PROGRESS, overwrite: true });
    expect(await readFile(target)).toEqual(content);
    expect(await readdir(dir)).toEqual(['.bashrc']);
  });

  it('refuses when the header disagrees with the recorded version, before writing anything', async () => {
    const res = response(content, { 'x-checksum-sha256': 'a'.repeat(64) });
    const err = await failure(saveVerified({ response: res, target: join(dir, 'x'), expectedSha256: sha(content), progress: () => NO_PROGRESS }));
    expect(err.exitCode).toBe(ExitCode.Checksum);
    expect(await readdir(dir)).toEqual([]);
  });

  it('leaves no partial file when the connection breaks off mid-body', async () => {
    let sent = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (!sent) {
          sent = true;
          controller.enqueue(content.subarray(0, 1000));
        } else controller.error(new Error('socket hang up'));
      },
    });
    const res = response(body, { 'x-checksum-sha256': sha(content), 'content-length': String(content.length) });
    const err = await failure(saveVerified({ response: res, target: join(dir, 'out.bin'), progress: () => NO_PROGRESS }));
    expect(err.exitCode).toBe(ExitCode.Unreachable);
    expect(err.message).toMatch(/broke off after \d+ bytes \(socket hang up\); nothing was saved/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses a download it cannot verify', async () => {
    const err = await failure(saveVerified({ response: response(content, {}), target: join(dir, 'x'), progress: () => NO_PROGRESS }));
    expect(err.exitCode).toBe(ExitCode.Checksum);
    expect(await readdir(dir)).toEqual([]);
  });

  it('writes beside the target under a hidden name', () => {
    expect(tempPathFor('/a/b/report.pdf')).toMatch(/^\/a\/b\/\.report\.pdf\.[0-9a-f]{12}\.part$/);
  });
});
