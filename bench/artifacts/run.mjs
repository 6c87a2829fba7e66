#!/usr/bin/env node
// Artifact throughput benchmark.
//
//   npm run build && npm run bench:artifacts -- --size-mib 1024 --small 1000 [--s3 inline|process]
//
// Starts its own S3 server (s3rver on a temp directory: --s3 inline runs it in this process,
// sharing one core with the client while the api has the other; --s3 process gives it its own
// process, so client, S3 server and api all share the two cores) and the four built services
// (dist/) with ATTUNE_STORAGE_DRIVER=s3 pointing at it, on free ports and their own bus
// namespace, against ATTUNE_DATABASE_URL (migrated first). Then, in one run:
//   1. a --size-mib file: direct PutObject and GetObject on the S3 server, against an upload
//      through the API (multipart form with the size announced, streamed, hashed, committed by
//      artifact-store) and a download (hash-verified by the api); the same upload without the
//      size field against a direct multipart upload (skip with --skip-unsized); throughput ratio
//      API / direct, CPU seconds of each process and the services' peak RSS meanwhile;
//      The direct path (skip with --skip-direct) in the same rounds: POST …/versions/upload-url,
//      a presigned PUT straight into the bucket, POST …/versions/commit (on s3rver, which keeps
//      no checksum, artifact-store copies and hashes the object there); and a download by
//      ?redirect=true followed to the presigned GET. Its ratio to direct S3, and the api's bytes
//      in and out (rchar/wchar of /proc/<pid>/io: sockets, files and all) for every phase;
//   2. --small uploads of 10 KB each through the API (distinct content, --concurrency at once),
//      against the same number of direct PutObjects.
// --only big|small runs one part. BENCH_NODE_ARGS adds node flags to the api and artifact-store (e.g. --cpu-prof).
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { parseArgs } from 'node:util';
import S3rver from 's3rver';
import { hashStream, median, percentile } from '../lib/measure.mjs';
import { AMQP_OPTION, DATABASE_OPTION, freePort, migrate, platformApi, ROOT, waitHealthy } from '../lib/platform.mjs';

const { values: opts } = parseArgs({
  options: {
    'size-mib': { type: 'string', default: '1024' },
    small: { type: 'string', default: '1000' },
    'small-kib': { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '8' },
    ...DATABASE_OPTION,
    ...AMQP_OPTION,
    keep: { type: 'boolean', default: false },
    // inline: the S3 server runs in this process (it shares one core with the client; the api has
    // the other). process: its own process, as a real S3 server is (all three share two cores).
    s3: { type: 'string', default: 'inline' },
    only: { type: 'string', default: 'all' },
    'skip-unsized': { type: 'boolean', default: false },
    'skip-direct': { type: 'boolean', default: false },
    // Rounds of direct/API pairs, alternated so that a slow spell of the machine hits both sides.
    repeat: { type: 'string', default: '3' },
  },
});
if (!['inline', 'process'].includes(opts.s3)) throw new Error('--s3 is inline or process');
if (!['all', 'big', 'small'].includes(opts.only)) throw new Error('--only is all, big or small');
const MiB = 1024 * 1024;
const SIZE = Number(opts['size-mib']) * MiB;
const SMALL_COUNT = Number(opts.small);
const SMALL_SIZE = Number(opts['small-kib']) * 1024;
const CONCURRENCY = Number(opts.concurrency);
const work = await mkdtemp(join(tmpdir(), 'attune-bench-artifacts-'));
const namespace = `bench${Date.now().toString(36)}`;
const bucket = 'bench';
const procs = [];
const byName = {};

function log(...args) {
  console.log(...args);
}

async function cleanup() {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGTERM');
  await Promise.all(procs.map((p) => (p.exitCode === null ? new Promise((r) => p.once('exit', r)) : undefined)));
  if (s3server) {
    const closing = s3server.close().catch(() => undefined);
    s3server.httpServer?.closeAllConnections();
    await closing;
  }
  if (s3child && s3child.exitCode === null) {
    s3child.kill('SIGTERM');
    await new Promise((r) => s3child.once('exit', r));
  }
  if (!opts.keep) await rm(work, { recursive: true, force: true });
}

// ---------------------------------------------------------------- S3 server and platform
mkdirSync(join(work, 's3'), { recursive: true });
let s3server;
let s3child;
let s3port;
if (opts.s3 === 'inline') {
  s3server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: join(work, 's3') });
  ({ port: s3port } = await s3server.run());
} else {
  s3port = await freePort();
  const script = `import S3rver from 's3rver'; await new S3rver({ address: '127.0.0.1', port: ${s3port}, silent: true, directory: ${JSON.stringify(join(work, 's3'))} }).run(); console.log('ready');`;
  s3child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((res, rej) => {
    s3child.stdout.once('data', res);
    s3child.once('exit', (code) => rej(new Error(`s3rver exited with ${code}`)));
  });
}
const endpoint = `http://127.0.0.1:${s3port}`;
const s3 = new S3Client({
  endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
});
await s3.send(new CreateBucketCommand({ Bucket: bucket }));
// s3rver deletes a directory once its last object is deleted, racing with a concurrent put into
// it (ENOENT, and an unhandled error that kills the process). Uploads of stored content are
// deleted at commit, so keep the upload directory alive. Real S3 and MinIO need nothing.
await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'blobs/u/.keep', Body: Buffer.alloc(0) }));

try {
  const ports = { api: await freePort(), executor: await freePort(), worker: await freePort(), 'artifact-store': await freePort() };
  const apiUrl = `http://127.0.0.1:${ports.api}`;
  // The api's /metrics needs a token (its port is public); the other services' ports are internal.
  const metricsToken = `bench-metrics-${randomUUID()}`;
  const env = {
    PATH: process.env.PATH,
    ATTUNE_ENV: 'development',
    ATTUNE_METRICS_TOKEN: metricsToken,
    ATTUNE_LOG_LEVEL: 'warn',
    ATTUNE_DATABASE_URL: opts.database,
    ATTUNE_AMQP_URL: opts.amqp,
    ATTUNE_AMQP_NAMESPACE: namespace,
    ATTUNE_API_PORT: String(ports.api),
    ATTUNE_EXECUTOR_PORT: String(ports.executor),
    ATTUNE_WORKER_PORT: String(ports.worker),
    ATTUNE_ARTIFACT_STORE_PORT: String(ports['artifact-store']),
    ATTUNE_API_URL: apiUrl,
    ATTUNE_WORK_DIR: join(work, 'work'),
    ATTUNE_STORAGE_DRIVER: 's3',
    ATTUNE_S3_ENDPOINT: endpoint,
    ATTUNE_S3_BUCKET: bucket,
    ATTUNE_S3_ACCESS_KEY_ID: 'S3RVER',
    ATTUNE_S3_SECRET_ACCESS_KEY: 'S3RVER',
  };
  await migrate(env);
  for (const name of ['api', 'artifact-store', 'executor', 'worker']) {
    const out = createWriteStream(join(work, `${name}.log`));
    const child = spawn(process.execPath, [...((name === 'api' || name === 'artifact-store') && process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : []), join(ROOT, 'dist/apps', name, 'main.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(out);
    child.stderr.pipe(out);
    procs.push(child);
    byName[name] = child;
    await waitHealthy(`http://127.0.0.1:${ports[name]}/health`, name, child, `${work}/${name}.log`);
  }
  const api = platformApi(apiUrl);
  const token = await api.signIn('test@attune.local', 'TestPass123!');
  const auth = { authorization: `Bearer ${token}` };
  /** POSTs JSON; answers the created thing (the answer's data). */
  const postJson = async (path, body) => (await api.json('POST', path, body, token)).data;
  const createArtifact = (ref) => postJson('/api/v1/artifacts', { ref, type: 'file_binary' });

  /** Streams a multipart upload over node:http; answers the version. */
  function upload(id, source, size, { announceSize = true } = {}) {
    const boundary = `----bench${randomBytes(8).toString('hex')}`;
    // The size field before the file lets the api store it in one PutObject of known length (as the CLI does).
    const sizeField = announceSize ? `--${boundary}\r\nContent-Disposition: form-data; name="size"\r\n\r\n${size}\r\n` : '';
    const head = Buffer.from(`${sizeField}--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="data.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`);
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    return new Promise((resolveUpload, reject) => {
      const req = httpRequest(`${apiUrl}/api/v1/artifacts/${id}/versions/upload`, {
        method: 'POST',
        headers: { ...auth, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(head.length + size + tail.length) },
      });
      req.on('response', (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const body = JSON.parse(Buffer.concat(chunks).toString());
          if (res.statusCode !== 201) reject(new Error(`upload: ${res.statusCode} ${JSON.stringify(body)}`));
          else resolveUpload(body.data);
        });
      });
      req.on('error', reject);
      req.write(head);
      if (Buffer.isBuffer(source)) {
        req.write(source);
        req.end(tail);
      } else {
        source.on('end', () => req.end(tail));
        source.pipe(req, { end: false });
      }
    });
  }

  /** The direct path: upload URL, a presigned PUT of the file over node:http, then the commit. Answers the version and each step's seconds. */
  async function directUpload(id, file, size, sha256) {
    const t0 = performance.now();
    const ticket = await postJson(`/api/v1/artifacts/${id}/versions/upload-url`, { size, sha256 });
    const t1 = performance.now();
    await new Promise((resolvePut, reject) => {
      const req = httpRequest(ticket.url, { method: 'PUT', headers: ticket.headers }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolvePut() : reject(new Error(`presigned PUT: ${res.statusCode}`))));
      });
      req.on('error', reject);
      createReadStream(file).pipe(req);
    });
    const t2 = performance.now();
    const version = await postJson(ticket.commit_url, { upload_id: ticket.upload_id });
    const t3 = performance.now();
    return { version, steps: { url: (t1 - t0) / 1000, put: (t2 - t1) / 1000, commit: (t3 - t2) / 1000 } };
  }

  /** The direct download: ?redirect=true, then the presigned GET, hashed. */
  async function directDownload(id) {
    const location = await new Promise((resolveLoc, reject) => {
      httpRequest(`${apiUrl}/api/v1/artifacts/${id}/download?redirect=true`, { headers: auth }, (res) => {
        res.resume();
        if (res.statusCode !== 302) reject(new Error(`redirect: ${res.statusCode}`));
        else resolveLoc(res.headers.location);
      })
        .on('error', reject)
        .end();
    });
    return new Promise((resolveDown, reject) => {
      httpRequest(location, (res) => {
        if (res.statusCode !== 200) reject(new Error(`presigned GET: ${res.statusCode}`));
        else hashStream(res).then(resolveDown, reject);
      })
        .on('error', reject)
        .end();
    });
  }

  async function metric(name, metricName) {
    const text = await (await fetch(`http://127.0.0.1:${ports[name]}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })).text();
    return Number(new RegExp(`^${metricName} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  }
  const rss = (name) => metric(name, 'attune_process_resident_memory_bytes');
  /** CPU seconds so far of each process taking part: the services (from /metrics), this one and a separate S3 server. */
  async function cpuNow() {
    const self = process.cpuUsage();
    const out = {
      api: await metric('api', 'attune_process_cpu_seconds_total'),
      'artifact-store': await metric('artifact-store', 'attune_process_cpu_seconds_total'),
      [opts.s3 === 'inline' ? 'bench+s3rver' : 'bench']: (self.user + self.system) / 1e6,
    };
    if (s3child) {
      const stat = readFileSync(`/proc/${s3child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      out.s3rver = (Number(stat[11]) + Number(stat[12])) / 100;
    }
    return out;
  }

  /** Bytes the api process has read and written so far (every read()/write(): sockets, files, pipes). */
  function apiIo() {
    const io = readFileSync(`/proc/${byName.api.pid}/io`, 'utf8');
    const field = (name) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(io)?.[1] ?? NaN);
    return { in: field('rchar'), out: field('wchar') };
  }

  async function withPeakRss(fn) {
    const peak = { api: 0, 'artifact-store': 0 };
    let done = false;
    const sampler = (async () => {
      while (!done) {
        // A sample that fails (a busy service resetting the connection) is skipped, not fatal.
        for (const name of Object.keys(peak)) peak[name] = Math.max(peak[name], await rss(name).catch(() => 0));
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    // Every phase starts with no dirty pages left by the one before (s3rver writes to the page cache).
    execFileSync('sync');
    const cpu0 = await cpuNow();
    const io0 = apiIo();
    const t0 = performance.now();
    const result = await fn();
    const seconds = (performance.now() - t0) / 1000;
    done = true;
    await sampler;
    const io1 = apiIo();
    const cpu1 = await cpuNow();
    const cpu = Object.fromEntries(Object.keys(cpu1).map((k) => [k, cpu1[k] - cpu0[k]]));
    return { result, seconds, peak, cpu, apiIo: { in: io1.in - io0.in, out: io1.out - io0.out } };
  }

  // ---------------------------------------------------------------- 1. the big file
  const mb = (n) => `${Math.round(n / MiB)} MiB`;
  const cpuText = (r) => Object.entries(r.cpu).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ');
  if (opts.only !== 'small') {
    const file = join(work, 'big.bin');
    {
      const out = createWriteStream(file);
      const block = randomBytes(MiB);
      for (let written = 0, i = 0; written < SIZE; written += MiB, i++) {
        // Every MiB differs (no dedup inside the file), cheaply: a counter stamped on a random block.
        block.writeUInt32BE(i, 0);
        const piece = SIZE - written >= MiB ? block : block.subarray(0, SIZE - written);
        if (!out.write(Buffer.from(piece))) await new Promise((r) => out.once('drain', r));
      }
      await new Promise((r) => out.end(r));
    }
    const expected = await hashStream(createReadStream(file));
    log(`file: ${statSync(file).size} bytes, sha256 ${expected.sha256}; S3 server ${opts.s3 === 'inline' ? 'in the bench process' : 'in its own process'}`);

    const artifact = await createArtifact(`bench.${namespace}.big`);
    const rounds = [];
    for (let round = 0; round < Number(opts.repeat); round++) {
      const putKey = `direct/${randomUUID()}`;
      const directPut = await withPeakRss(() => s3.send(new PutObjectCommand({ Bucket: bucket, Key: putKey, Body: createReadStream(file), ContentLength: SIZE })));
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: putKey }));
      const apiUp = await withPeakRss(() => upload(artifact.id, createReadStream(file), SIZE));
      if (apiUp.result.sha256 !== expected.sha256) throw new Error(`API upload recorded ${apiUp.result.sha256}`);
      const directKey = `direct/${randomUUID()}`;
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: directKey, Body: createReadStream(file), ContentLength: SIZE }));
      const directGet = await withPeakRss(async () => hashStream((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: directKey }))).Body));
      if (directGet.result.sha256 !== expected.sha256) throw new Error('direct GetObject returned other bytes');
      // node:http, the HTTP stack the SDK's GetObject uses too, so both clients cost the same.
      const apiDown = await withPeakRss(
        () =>
          new Promise((resolveDown, reject) => {
            httpRequest(`${apiUrl}/api/v1/artifacts/${artifact.id}/download`, { headers: auth }, (res) => {
              if (res.statusCode !== 200) reject(new Error(`download: ${res.statusCode}`));
              else hashStream(res).then(resolveDown, reject);
            })
              .on('error', reject)
              .end();
          }),
      );
      if (apiDown.result.sha256 !== expected.sha256 || apiDown.result.size !== SIZE) throw new Error('API download returned other bytes');
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: directKey }));
      let directPathUp;
      let directPathDown;
      if (!opts['skip-direct']) {
        // Its own artifact, so the commit stores the content rather than finding it stored (no dedup shortcut).
        const target = await createArtifact(`bench.${namespace}.direct-${round}`);
        directPathUp = await withPeakRss(() => directUpload(target.id, file, SIZE, expected.sha256));
        if (directPathUp.result.version.sha256 !== expected.sha256) throw new Error('direct upload recorded other bytes');
        directPathDown = await withPeakRss(() => directDownload(target.id));
        if (directPathDown.result.sha256 !== expected.sha256 || directPathDown.result.size !== SIZE) throw new Error('direct download returned other bytes');
        await fetch(`${apiUrl}/api/v1/artifacts/${target.id}`, { method: 'DELETE', headers: auth });
      }
      rounds.push({ directPut, apiUp, directGet, apiDown, directPathUp, directPathDown });
    }

    // A client that does not announce the size (curl -F): the api cannot use one PutObject of
    // known length and streams a multipart upload instead; timed against that primitive alone.
    // A different file content (one byte changed), so the commit stores it rather than deduplicates.
    let apiUpUnsized;
    let directMultipart;
    let other;
    if (!opts['skip-unsized']) {
      other = await createArtifact(`bench.${namespace}.big-unsized`);
      const flipped = createReadStream(file).pipe(
        new Transform({
          transform(chunk, _e, cb) {
            if (this.first === undefined) {
              this.first = true;
              chunk = Buffer.from(chunk);
              chunk[0] ^= 0xff;
            }
            cb(null, chunk);
          },
        }),
      );
      apiUpUnsized = await withPeakRss(() => upload(other.id, flipped, SIZE, { announceSize: false }));
      directMultipart = await withPeakRss(() =>
        new Upload({ client: s3, params: { Bucket: bucket, Key: `direct/${randomUUID()}`, Body: createReadStream(file) }, partSize: 8 * MiB, queueSize: 2 }).done(),
      );
    }
    const mibs = (s) => SIZE / MiB / s;
    const row = (name, r) => `${name.padEnd(34)} ${r.seconds.toFixed(2).padStart(7)} s ${mibs(r.seconds).toFixed(1).padStart(8)} MiB/s`;
    log('');
    log(`1. ${SIZE / MiB} MiB, ${rounds.length} rounds (CPU seconds per process in brackets)`);
    const ioText = (r) => `api I/O in ${mb(r.apiIo.in)}, out ${mb(r.apiIo.out)}`;
    rounds.forEach((r, i) => {
      log(`round ${i + 1}`);
      log(row('  direct PutObject', r.directPut), ` [${cpuText(r.directPut)}]`);
      log(row('  API upload, size announced', r.apiUp), `  ratio ${(r.directPut.seconds / r.apiUp.seconds).toFixed(2)}  [${cpuText(r.apiUp)}] ${ioText(r.apiUp)}`);
      if (r.directPathUp) {
        const st = r.directPathUp.result.steps;
        log(
          row('  direct path upload (URL+PUT+commit)', r.directPathUp),
          `  ratio ${(r.directPut.seconds / r.directPathUp.seconds).toFixed(2)}, PUT alone ${(r.directPut.seconds / st.put).toFixed(2)} (url ${st.url.toFixed(2)} s, PUT ${st.put.toFixed(2)} s, commit ${st.commit.toFixed(2)} s)  [${cpuText(r.directPathUp)}] ${ioText(r.directPathUp)}`,
        );
      }
      log(row('  direct GetObject (hashed)', r.directGet), ` [${cpuText(r.directGet)}]`);
      log(row('  API download (verified, hashed)', r.apiDown), `  ratio ${(r.directGet.seconds / r.apiDown.seconds).toFixed(2)}  [${cpuText(r.apiDown)}] ${ioText(r.apiDown)}`);
      if (r.directPathDown) {
        log(row('  direct path download (302, hashed)', r.directPathDown), `  ratio ${(r.directGet.seconds / r.directPathDown.seconds).toFixed(2)}  [${cpuText(r.directPathDown)}] ${ioText(r.directPathDown)}`);
      }
    });
    if (apiUpUnsized) {
      log(row('direct multipart upload (8 MiB)', directMultipart), ` [${cpuText(directMultipart)}]`);
      log(row('API upload, size not announced', apiUpUnsized), `  ratio to multipart ${(directMultipart.seconds / apiUpUnsized.seconds).toFixed(2)}  [${cpuText(apiUpUnsized)}]`);
    }
    const upRatios = rounds.map((r) => r.directPut.seconds / r.apiUp.seconds);
    const downRatios = rounds.map((r) => r.directGet.seconds / r.apiDown.seconds);
    const range = (xs) => `median ${median(xs).toFixed(2)} (min ${Math.min(...xs).toFixed(2)}, max ${Math.max(...xs).toFixed(2)})`;
    log(`upload ratio API / direct PutObject:   ${range(upRatios)}`);
    log(`download ratio API / direct GetObject: ${range(downRatios)}`);
    if (!opts['skip-direct']) {
      log(`direct path upload / direct PutObject:   ${range(rounds.map((r) => r.directPut.seconds / r.directPathUp.seconds))}; PUT step alone ${range(rounds.map((r) => r.directPut.seconds / r.directPathUp.result.steps.put))}`);
      log(`direct path download / direct GetObject: ${range(rounds.map((r) => r.directGet.seconds / r.directPathDown.seconds))}`);
      const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
      const most = (phase, dir) => Math.max(...rounds.map((r) => r[phase].apiIo[dir]));
      log(`api bytes on the direct path (most in a round): upload in ${kib(most('directPathUp', 'in'))} / out ${kib(most('directPathUp', 'out'))}, download in ${kib(most('directPathDown', 'in'))} / out ${kib(most('directPathDown', 'out'))}`);
    }
    const peak = (phase, name) => mb(Math.max(...rounds.map((r) => r[phase].peak[name])));
    log(`peak RSS during uploads:   api ${peak('apiUp', 'api')}, artifact-store ${peak('apiUp', 'artifact-store')}`);
    log(`peak RSS during downloads: api ${peak('apiDown', 'api')}, artifact-store ${peak('apiDown', 'artifact-store')}`);
    for (const id of [artifact.id, other?.id].filter(Boolean)) await fetch(`${apiUrl}/api/v1/artifacts/${id}`, { method: 'DELETE', headers: auth });
  }

  // ---------------------------------------------------------------- 2. many small uploads
  if (opts.only !== 'big') {
  const small = await createArtifact(`bench.${namespace}.small`);
  async function timed(count, fn) {
    const latencies = [];
    let next = 0;
    execFileSync('sync');
    const cpu0 = await cpuNow();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < count) {
          const i = next++;
          const s = performance.now();
          await fn(i);
          latencies.push(performance.now() - s);
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const cpu1 = await cpuNow();
    const cpu = Object.fromEntries(Object.keys(cpu1).map((k) => [k, cpu1[k] - cpu0[k]]));
    latencies.sort((a, b) => a - b);
    return { seconds, rate: count / seconds, p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99), cpu };
  }
  const content = (i) => {
    const b = randomBytes(SMALL_SIZE);
    b.writeUInt32BE(i, 0);
    return b;
  };
  const directSmall = await timed(SMALL_COUNT, (i) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: `direct-small/${i}`, Body: content(i), ContentLength: SMALL_SIZE })));
  const apiSmall = await timed(SMALL_COUNT, (i) => upload(small.id, content(i), SMALL_SIZE));
  const versions = await (await fetch(`${apiUrl}/api/v1/artifacts/${small.id}`, { headers: auth })).json();
  if (versions.data.latest_version !== SMALL_COUNT) throw new Error(`expected ${SMALL_COUNT} versions, found ${versions.data.latest_version}`);
  const srow = (name, r) =>
    `${name.padEnd(26)} ${r.seconds.toFixed(2).padStart(7)} s ${r.rate.toFixed(0).padStart(6)} /s   p50 ${r.p50.toFixed(1)} ms  p95 ${r.p95.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms`;
  log('');
  log(`2. ${SMALL_COUNT} uploads of ${SMALL_SIZE / 1024} KiB, ${CONCURRENCY} at once`);
  log(srow('direct PutObject', directSmall), ` [${cpuText(directSmall)}]`);
  log(srow('API upload (+commit)', apiSmall), `  ratio ${(apiSmall.rate / directSmall.rate).toFixed(2)}  [${cpuText(apiSmall)}]`);

  // The bytes live in this run's S3 server only: leave no rows behind that point at them.
  await fetch(`${apiUrl}/api/v1/artifacts/${small.id}`, { method: 'DELETE', headers: auth });
  }
} finally {
  await cleanup();
}
