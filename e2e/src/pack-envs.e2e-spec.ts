import { buildTarGz, type TarEntry } from '@attune/testing';
import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execute, ROOT, usePlatform, waitForTerminal } from './support';

// Pack environments: a python pack's requirements.txt and a node pack's package.json (with its
// lockfile) installed per pack digest into a virtualenv and node_modules its actions run with.
// No package index is reachable here: the test builds its own wheel and npm tarball and points
// pip at a find-links directory (operator configuration) and npm at a file: dependency.
const RUN = randomUUID().slice(0, 8);
const SCRATCH = resolve(ROOT, 'tmp/e2e', `pack-envs-scratch-${RUN}`);
const WHEELS = join(SCRATCH, 'wheels');
const ENVS = join(SCRATCH, 'envs');
const PY = `pyenv_${RUN}`;
const NODE = `nodeenv_${RUN}`;
const BROKEN = `brokenenv_${RUN}`;
const MODULE = 'attune_e2e_greeting';

/** A pure-python wheel written by hand (a wheel is a zip with a dist-info): nothing to download. */
function buildWheel(): void {
  mkdirSync(WHEELS, { recursive: true });
  const script = `
import base64, hashlib, sys, zipfile
name, version, out = sys.argv[1], sys.argv[2], sys.argv[3]
info = f"{name}-{version}.dist-info"
files = {
    f"{name}/__init__.py": "def greet(who):\\n    return 'hello ' + who + ' from a wheel'\\n",
    f"{info}/METADATA": f"Metadata-Version: 2.1\\nName: {name.replace('_', '-')}\\nVersion: {version}\\n",
    f"{info}/WHEEL": "Wheel-Version: 1.0\\nGenerator: e2e\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}
record = []
with zipfile.ZipFile(f"{out}/{name}-{version}-py3-none-any.whl", "w") as z:
    for path, text in files.items():
        data = text.encode()
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
        z.writestr(path, data)
    record.append(f"{info}/RECORD,,")
    z.writestr(f"{info}/RECORD", "\\n".join(record) + "\\n")
`;
  execFileSync('python3', ['-c', script, MODULE, '1.0.0', WHEELS]);
}

/** An npm package as a tarball (`npm pack`), and a lockfile resolving it, made offline. */
function buildNpmPackage(): { tarball: Buffer; lock: string; manifest: string } {
  const src = join(SCRATCH, 'npm-src');
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'package.json'), JSON.stringify({ name: 'attune-e2e-shout', version: '1.0.0', main: 'index.js' }));
  writeFileSync(join(src, 'index.js'), "module.exports = (text) => text.toUpperCase() + '!';\n");
  const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', SCRATCH], { cwd: src, encoding: 'utf8' }).trim().split('\n').pop() as string;
  const tarball = readFileSync(join(SCRATCH, name));
  // The pack as it will be uploaded, to let npm write its lockfile.
  const pack = join(SCRATCH, 'node-pack');
  mkdirSync(join(pack, 'vendor'), { recursive: true });
  writeFileSync(join(pack, 'vendor', name), tarball);
  const manifest = JSON.stringify({ name: NODE, version: '1.0.0', private: true, dependencies: { 'attune-e2e-shout': `file:vendor/${name}` } }, null, 2);
  writeFileSync(join(pack, 'package.json'), manifest);
  execFileSync('npm', ['install', '--package-lock-only', '--ignore-scripts', '--offline', '--no-audit', '--no-fund'], { cwd: pack, stdio: 'ignore', env: { ...process.env, npm_config_cache: join(SCRATCH, 'npm-cache') } });
  return { tarball, lock: readFileSync(join(pack, 'package-lock.json'), 'utf8'), manifest };
}

async function upload(archive: Buffer): Promise<string> {
  const form = new FormData();
  form.append('pack', new Blob([new Uint8Array(archive)]), 'pack.tar.gz');
  const res = await fetch(new URL('/api/v1/packs/upload', ctx.api.baseUrl), { method: 'POST', headers: { authorization: `Bearer ${ctx.api.token}` }, body: form });
  const body = (await res.json()) as any;
  if (res.status !== 201) throw new Error(`upload answered ${res.status}: ${JSON.stringify(body)}`);
  return createHash('sha256').update(archive).digest('hex');
}

function pythonPack(ref: string, requirements: string): TarEntry[] {
  return [
    { path: 'p/pack.yaml', content: `ref: ${ref}\nversion: "1.0.0"\n` },
    { path: 'p/requirements.txt', content: requirements },
    {
      path: 'p/actions/hello.yaml',
      content: 'name: hello\nrunner_type: python\nentry_point: hello.py\noutput_format: json\nparameters:\n  name: {type: string, required: true}\n',
    },
    {
      path: 'p/actions/hello.py',
      content: `import json, os, sys
from ${MODULE} import greet
p = json.load(sys.stdin)
site = os.path.dirname(os.path.dirname(sys.modules["${MODULE}"].__file__))
try:
    open(os.path.join(site, "planted.py"), "w").close()
    planted = True
except OSError:
    planted = False
print(json.dumps({"greeting": greet(p["name"]), "prefix": sys.prefix, "planted": planted}))
`,
    },
  ];
}

/** Builds of pack environments so far, by outcome, from the worker's metrics. */
async function builds(outcome: 'built' | 'failed' | 'reused'): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${ctx.platform.ports.worker}/metrics`)).text();
  const m = new RegExp(`^attune_worker_pack_environment_builds_total\\{outcome="${outcome}"\\} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

/** How long an execution was running (the environment is built while it runs, before the process starts). */
const runningMs = (e: { started_at: string; finished_at: string }) => Date.parse(e.finished_at) - Date.parse(e.started_at);

/** Runs an action and answers the finished execution with the wall time from request to terminal. */
async function run(ref: string, parameters: Record<string, unknown>) {
  const started = Date.now();
  const { id } = await execute(ctx.api, ref, parameters);
  const done = await waitForTerminal(ctx.api, id, 180_000);
  return { ...done, wallMs: Date.now() - started };
}

beforeAll(buildWheel);

const ctx = usePlatform('pack-envs', {
  ATTUNE_PACK_ENV_DIR: ENVS,
  ATTUNE_PACK_CACHE_DIR: join(SCRATCH, 'pack-cache'),
  ATTUNE_PIP_NO_INDEX: 'true',
  ATTUNE_PIP_FIND_LINKS: WHEELS,
  ATTUNE_WORKER_CONCURRENCY: '4',
});

describe('a python pack with requirements.txt', () => {
  let digest: string;
  let firstRunningMs: number[] = [];

  it('is not runnable with the worker host\'s python alone', () => {
    expect(() => execFileSync('python3', ['-c', `import ${MODULE}`], { stdio: 'ignore' })).toThrow();
  });

  it('builds its virtualenv once for two concurrent executions, and both run with it', async () => {
    digest = await upload(await buildTarGz(pythonPack(PY, `${MODULE}==1.0.0\n`)));
    const before = await builds('built');
    const [a, b] = await Promise.all([run(`${PY}.hello`, { name: 'ada' }), run(`${PY}.hello`, { name: 'bob' })]);
    for (const [done, name] of [[a, 'ada'], [b, 'bob']] as const) {
      expect(done.status).toBe('completed');
      expect(done.result.data).toMatchObject({ greeting: `hello ${name} from a wheel`, prefix: join(ENVS, digest, 'python') });
    }
    expect((await builds('built')) - before).toBe(1);
    firstRunningMs = [runningMs(a), runningMs(b)];
    // Actions read the environment and cannot change it.
    expect(a.result.data.planted).toBe(false);
    expect(b.result.data.planted).toBe(false);
    const built = JSON.parse(readFileSync(join(ENVS, digest, 'environment.json'), 'utf8'));
    expect(built).toMatchObject({ pack: PY, digest, python: true });
  });

  it('reuses the environment afterwards: no build, and much faster than the first runs (timed)', async () => {
    const built = await builds('built');
    const reused = await builds('reused');
    const again = await run(`${PY}.hello`, { name: 'cy' });
    expect(again.status).toBe('completed');
    expect(again.result.data.prefix).toBe(join(ENVS, digest, 'python'));
    expect(await builds('built')).toBe(built);
    expect((await builds('reused')) - reused).toBe(1);
    // The first runs paid for `python -m venv` and pip while running; this one only starts python.
    expect(runningMs(again)).toBeLessThan(Math.min(...firstRunningMs) / 2);
  });
});

describe('a node pack with package.json and a lockfile', () => {
  it('installs its dependency with npm ci and its action requires it', async () => {
    const { tarball, lock, manifest } = buildNpmPackage();
    const digest = await upload(
      await buildTarGz([
        { path: 'n/pack.yaml', content: `ref: ${NODE}\nversion: "1.0.0"\n` },
        { path: 'n/package.json', content: manifest },
        { path: 'n/package-lock.json', content: lock },
        { path: 'n/vendor/attune-e2e-shout-1.0.0.tgz', content: tarball },
        {
          path: 'n/actions/shout.yaml',
          content: 'name: shout\nrunner_type: node\nentry_point: shout.js\noutput_format: json\nparameters:\n  text: {type: string, required: true}\n',
        },
        {
          path: 'n/actions/shout.js',
          content: `const shout = require('attune-e2e-shout');
let input = '';
process.stdin.on('data', (c) => (input += c));
process.stdin.on('end', () => console.log(JSON.stringify({ shout: shout(JSON.parse(input).text), from: require.resolve('attune-e2e-shout') })));
`,
        },
      ]),
    );
    const before = await builds('built');
    const [a, b] = await Promise.all([run(`${NODE}.shout`, { text: 'hi' }), run(`${NODE}.shout`, { text: 'yo' })]);
    expect(a).toMatchObject({ status: 'completed', result: { data: { shout: 'HI!' } } });
    expect(b).toMatchObject({ status: 'completed', result: { data: { shout: 'YO!' } } });
    expect(a.result.data.from).toBe(join(ENVS, digest, 'node', 'node_modules', 'attune-e2e-shout', 'index.js'));
    expect((await builds('built')) - before).toBe(1);
    const again = await run(`${NODE}.shout`, { text: 'again' });
    expect(again.result.data.shout).toBe('AGAIN!');
    expect((await builds('built')) - before).toBe(1);
  });
});

describe('a pack whose requirements cannot be installed', () => {
  it('fails the execution naming the pack and showing pip\'s output, and tries again on the next run', async () => {
    await upload(await buildTarGz(pythonPack(BROKEN, 'attune-e2e-absent==9.9.9\n')));
    const failed = await builds('failed');
    const first = await run(`${BROKEN}.hello`, { name: 'x' });
    expect(first.status).toBe('failed');
    expect(first.result.error).toContain(`the environment of pack "${BROKEN}" could not be built: pip install -r requirements.txt exited with code 1`);
    expect(first.result.error).toMatch(/No matching distribution found for attune-e2e-absent==9\.9\.9/);
    const second = await run(`${BROKEN}.hello`, { name: 'x' });
    expect(second.status).toBe('failed');
    expect((await builds('failed')) - failed).toBe(2);
  });
});
