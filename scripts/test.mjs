#!/usr/bin/env node
// `npm test`: type-check, lint, build, then unit + integration tests (real Postgres, RabbitMQ,
// and s3rver), then end-to-end tests against the four services as real processes.
// Tests run one file at a time: some restart the broker, and the machine has few cores.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const env = { ...process.env, NODE_OPTIONS: '--experimental-vm-modules --disable-warning=ExperimentalWarning', NX_DAEMON: 'false' };
const bin = (name) => join(root, 'node_modules/.bin', name);
const extra = process.argv.slice(2);

function step(title, cmd, args) {
  console.log(`\n▶ ${title}`);
  const r = spawnSync(cmd, args, { cwd: root, env, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`\n✖ ${title} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
}

function reachable(port) {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.setTimeout(2000);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
    s.once('timeout', () => (s.destroy(), resolve(false)));
  });
}

for (const [name, port] of [['PostgreSQL', 5432], ['RabbitMQ', 5672]]) {
  if (!(await reachable(port))) {
    console.error(`${name} is not reachable on 127.0.0.1:${port}; the tests need it (see README, "Running the tests").`);
    process.exit(1);
  }
}

const results = join(root, 'tmp/test-results');
mkdirSync(results, { recursive: true });
step('type-check', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']);
step('lint', bin('nx'), ['run-many', '-t', 'lint', '--outputStyle=static']);
step('build', bin('nx'), ['run-many', '-t', 'build', '--projects=api,executor,worker,artifact-store,cli,web', '--outputStyle=static']);
step('unit and integration tests', bin('jest'), ['-c', 'jest.config.cjs', '--runInBand', '--json', `--outputFile=${join(results, 'unit.json')}`, ...extra]);
step('end-to-end tests', bin('jest'), ['-c', 'e2e/jest.config.cjs', '--runInBand', '--json', `--outputFile=${join(results, 'e2e.json')}`, ...extra]);

let passed = 0;
let failed = 0;
for (const f of ['unit.json', 'e2e.json']) {
  const r = JSON.parse(readFileSync(join(results, f), 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
