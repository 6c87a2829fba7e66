import type { ExecutionDispatchV1 } from '@attune/contracts';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkerConfig } from '../config/worker.config';
import type { RunIdentities } from '../runner/run-identity';
import { PackEnvironmentError, PackEnvironments } from './pack-environment.service';

// The builder's contract with a stand-in python whose venv and pip are shell scripts: one build
// for concurrent runs, reuse, the time bound, and a failed build reported and tried again.
// (The real pip and npm are exercised by e2e/src/pack-envs.e2e-spec.ts.)
const silent = { child: () => silent, info: () => undefined, warn: () => undefined, debug: () => undefined } as never;
const noIdentities = { acquire: async () => undefined } as unknown as RunIdentities;

let root: string;
let packDir: string;
let calls: string;

/** A `python3` whose `-m venv DIR` writes DIR/bin/python, which does what PIP_BEHAVIOUR says for `-m pip`. */
async function fakePython(behaviour: 'ok' | 'fail' | 'hang'): Promise<string> {
  const pip = {
    ok: 'echo "pip $*" >> "$CALLS"; exit 0',
    fail: 'echo "ERROR: No matching distribution found for absent==1"; exit 1',
    hang: 'exec sleep 30',
  }[behaviour];
  const path = join(root, `python-${behaviour}`);
  await writeFile(
    path,
    `#!/bin/sh\nCALLS=${calls}\necho "venv $3" >> "$CALLS"\nmkdir -p "$3/bin"\nprintf '#!/bin/sh\\nCALLS=${calls}\\n%s\\n' '${pip}' > "$3/bin/python"\nchmod 755 "$3/bin/python"\n`,
  );
  await chmod(path, 0o755);
  return path;
}

function environments(python: string, timeoutMs = 20_000): PackEnvironments {
  const config = { packEnvDir: join(root, 'envs'), packEnvTimeoutMs: timeoutMs, python, npm: 'npm', runtimes: ['shell', 'python', 'node'], pipNoIndex: true } as unknown as WorkerConfig;
  return new PackEnvironments(config, silent, noIdentities);
}

const dispatch = (digest: string) => ({ execution_id: 1, action: { ref: 'demo.run', pack_ref: 'demo', pack_digest: digest, runtime: 'python' } }) as unknown as ExecutionDispatchV1;

async function callLines(): Promise<string[]> {
  return (await readFile(calls, 'utf8').catch(() => '')).split('\n').filter(Boolean);
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'attune-pack-env-'));
  calls = join(root, 'calls.log');
  packDir = join(root, 'pack');
  await mkdir(packDir);
  await writeFile(join(packDir, 'requirements.txt'), '# tools\nsomething==1.0\n');
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('PackEnvironments', () => {
  it('builds once for concurrent runs of a digest, then reuses the environment', async () => {
    const envs = environments(await fakePython('ok'));
    const [a, b] = await Promise.all([envs.prepare(dispatch('a1'), packDir), envs.prepare(dispatch('a1'), packDir)]);
    expect(a).toEqual({ python: join(root, 'envs', 'a1', 'python', 'bin', 'python') });
    expect(b).toEqual(a);
    expect(await callLines()).toHaveLength(2); // one venv, one pip
    expect((await callLines())[1]).toContain('--no-index');
    expect(await envs.prepare(dispatch('a1'), packDir)).toEqual(a);
    expect(await callLines()).toHaveLength(2);
    // Only the environment remains: no temporary directory, nothing writable by others.
    expect(await readdir(join(root, 'envs'))).toEqual(['a1']);
    expect((await stat(join(root, 'envs', 'a1'))).mode & 0o022).toBe(0);
    expect((await stat(join(root, 'envs'))).mode & 0o777).toBe(0o711);
  });

  it('builds nothing for a pack that declares no dependencies, or for one without a digest', async () => {
    const envs = environments(await fakePython('ok'));
    await writeFile(join(packDir, 'requirements.txt'), '# nothing yet\n\n');
    expect(await envs.prepare(dispatch('b1'), packDir)).toEqual({});
    expect(await envs.prepare({ ...dispatch('b1'), action: { ...dispatch('b1').action, pack_digest: null } } as never, packDir)).toEqual({});
    expect(await callLines()).toEqual([]);
  });

  it('passes --require-hashes when the requirements pin hashes', async () => {
    await writeFile(join(packDir, 'requirements.txt'), 'something==1.0 --hash=sha256:00\n');
    await environments(await fakePython('ok')).prepare(dispatch('c1'), packDir);
    expect((await callLines())[1]).toContain('--require-hashes');
  });

  it('reports a failed install with the pack, the step and the output, keeps nothing and tries again', async () => {
    const envs = environments(await fakePython('fail'));
    const failure = envs.prepare(dispatch('d1'), packDir);
    await expect(failure).rejects.toBeInstanceOf(PackEnvironmentError);
    await expect(failure).rejects.toThrow(/^the environment of pack "demo" could not be built: pip install -r requirements.txt exited with code 1:\nERROR: No matching distribution found for absent==1$/);
    expect(await readdir(join(root, 'envs'))).toEqual([]);
    await expect(envs.prepare(dispatch('d1'), packDir)).rejects.toThrow(/exited with code 1/);
    expect((await callLines()).filter((l) => l.startsWith('venv'))).toHaveLength(2);
  });

  it('stops an installer that runs past the time bound', async () => {
    const started = Date.now();
    await expect(environments(await fakePython('hang'), 1500).prepare(dispatch('e1'), packDir)).rejects.toThrow(
      /pip install -r requirements.txt did not finish within the 2s the build may take \(ATTUNE_PACK_ENV_TIMEOUT_MS\)/,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await readdir(join(root, 'envs'))).toEqual([]);
  });

  it('removes build directories a stopped worker left behind, not one that may still be building', async () => {
    await mkdir(join(root, 'envs', '.tmp-old', 'env'), { recursive: true });
    await mkdir(join(root, 'envs', '.tmp-young'), { recursive: true });
    const old = new Date(Date.now() - 3_600_000);
    await utimes(join(root, 'envs', '.tmp-old'), old, old);
    await environments(await fakePython('ok')).prepare(dispatch('g1'), packDir);
    expect((await readdir(join(root, 'envs'))).sort()).toEqual(['.tmp-young', 'g1']);
  });

  it('stops waiting when the run is cancelled, while the build goes on for others', async () => {
    const envs = environments(await fakePython('ok'));
    const controller = new AbortController();
    const waiting = envs.prepare(dispatch('f1'), packDir, controller.signal);
    const other = envs.prepare(dispatch('f1'), packDir);
    controller.abort();
    await expect(waiting).rejects.toThrow(/cancelled/);
    expect((await other).python).toBe(join(root, 'envs', 'f1', 'python', 'bin', 'python'));
  });
});
