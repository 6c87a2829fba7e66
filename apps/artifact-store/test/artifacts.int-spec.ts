import { DomainError, newStagingKey } from '@attune/contracts';
import { ArtifactRepository, PersistenceModule } from '@attune/persistence';
import { ROOT_LOGGER } from '@attune/service-kit';
import { type BlobStore, contentAddressedKey, FsBlobStore, S3BlobStore, StorageModule, BLOB_STORE } from '@attune/storage';
import { prepareTestDatabase, startS3rver, type RunningS3rver } from '@attune/testing';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import pg from 'pg';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { ArtifactService } from '../src/artifacts/artifact.service';
import { ArtifactsModule } from '../src/artifacts/artifacts.module';
import { VersionCommitter } from '../src/artifacts/version-committer.service';
import { ArtifactStoreConfig } from '../src/config/artifact-store.config';
import { ArtifactCleanup } from '../src/retention/artifact-cleanup.service';
import { BlobCollector } from '../src/retention/blob-collector.service';
import { RetentionSweeper, SWEEPER_LOCK } from '../src/retention/retention-sweeper.service';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
let refs = 0;
const ref = (name: string) => `it.${run}.${name}.${++refs}`;

async function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

async function keys(store: BlobStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const h of store.list(prefix)) out.push(h.key);
  return out.sort();
}

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

interface Driver {
  name: 'fs' | 's3';
  store: () => Promise<{ store: BlobStore; teardown: () => Promise<void> }>;
}

const DRIVERS: Driver[] = [
  {
    name: 'fs',
    store: async () => {
      const root = await mkdtemp(path.join(tmpdir(), 'attune-artifacts-it-'));
      return { store: new FsBlobStore({ root }), teardown: () => rm(root, { recursive: true, force: true }) };
    },
  },
  {
    name: 's3',
    store: async () => {
      const server: RunningS3rver = await startS3rver({ bucket: 'artifacts-it' });
      const store = new S3BlobStore({ ...server, bucket: server.bucket });
      return {
        store,
        teardown: async () => {
          await store.close();
          await server.stop();
        },
      };
    },
  },
];

describe.each(DRIVERS)('artifact-store with the $name driver (real Postgres)', (driver) => {
  let app: INestApplicationContext;
  let store: BlobStore;
  let teardown: () => Promise<void>;
  let repo: ArtifactRepository;
  let artifacts: ArtifactService;
  let committer: VersionCommitter;
  let collector: BlobCollector;
  let sweeper: RetentionSweeper;
  let cleanups: ArtifactCleanup;
  let ds: DataSource;
  // Content differs per driver: both suites share one database, where blobs are global.
  const tag = `${run}-${driver.name}`;

  beforeAll(async () => {
    const url = await prepareTestDatabase();
    ({ store, teardown } = await driver.store());
    const config = Object.assign(new ArtifactStoreConfig(), { databaseUrl: url, sweepIntervalMs: 3_600_000, stagingTtlMs: 60_000 });
    const logger = pino({ level: 'silent' });
    const moduleRef = await Test.createTestingModule({
      imports: [PersistenceModule.forRoot({ url, poolSize: 6 }), StorageModule.forRoot({ driver: 'fs', fsRoot: tmpdir() }), ArtifactsModule.forRoot(config, logger)],
      providers: [{ provide: ROOT_LOGGER, useValue: logger }],
    })
      .overrideProvider(BLOB_STORE)
      .useValue(store)
      .compile();
    app = await moduleRef.init();
    repo = app.get(ArtifactRepository);
    artifacts = app.get(ArtifactService);
    committer = app.get(VersionCommitter);
    collector = app.get(BlobCollector);
    sweeper = app.get(RetentionSweeper);
    cleanups = app.get(ArtifactCleanup);
    ds = app.get(DataSource);
  });

  afterAll(async () => {
    await app?.close();
    await teardown?.();
  });

  /** What the api does for an upload: stream into a staging object, which measures size and sha256. */
  async function stage(bytes: Buffer | NodeJS.ReadableStream): Promise<{ key: string; size: number; sha256: string }> {
    const key = newStagingKey(randomUUID());
    const put = await store.put(key, bytes);
    return { key, size: put.size, sha256: put.sha256 };
  }

  async function upload(artifactId: number, bytes: Buffer) {
    const s = await stage(bytes);
    return committer.commitVersion(artifactId, s.key, s.size, s.sha256, { contentType: 'text/plain' });
  }

  const newFile = (extra: Record<string, unknown> = {}) => artifacts.create({ ref: ref('file'), type: 'file_text', ...extra } as never);

  it('commits staged uploads as numbered versions, stores them content-addressed and removes the staging object', async () => {
    const a = await newFile();
    const one = Buffer.from(`first ${tag}\n`);
    const two = Buffer.from(`second ${tag}\n`);
    const v1 = await upload(a.id, one);
    const v2 = await upload(a.id, two);
    expect([v1.version.version, v2.version.version]).toEqual([1, 2]);
    expect(v2.version).toMatchObject({ artifact: a.id, sizeBytes: two.length, sha256: sha(two), contentType: 'text/plain' });
    expect(v2.artifact).toMatchObject({ latestVersion: 2, sizeBytes: two.length });
    expect(await readAll(await store.get(contentAddressedKey(sha(one))))).toEqual(one);
    expect(await readAll(await store.get(contentAddressedKey(sha(two))))).toEqual(two);
    expect(await keys(store, 'staging/')).toEqual([]);
  });

  it('stores identical content once, whichever artifact it belongs to', async () => {
    const content = Buffer.from(`shared content ${tag}`);
    const a = await newFile();
    const b = await newFile();
    await upload(a.id, content);
    const before = (await keys(store, 'blobs/')).length;
    await upload(b.id, content);
    await upload(b.id, content);
    expect((await keys(store, 'blobs/')).length).toBe(before);
    expect((await repo.blobStats([sha(content)])).get(sha(content))).toBe(3);
  });

  it('streams a multi-part upload with flat memory and commits it byte-exactly', async () => {
    const a = await newFile();
    const size = 24 * 1024 * 1024 + 3;
    const chunk = Buffer.alloc(1024 * 1024, 7);
    let left = size;
    const hash = createHash('sha256');
    const body = new Readable({
      read() {
        if (left === 0) return void this.push(null);
        const piece = chunk.subarray(0, Math.min(chunk.length, left));
        left -= piece.length;
        hash.update(piece);
        this.push(piece);
      },
    });
    const s = await stage(body);
    const expected = hash.digest('hex');
    expect(s).toMatchObject({ size, sha256: expected });
    const { version } = await committer.commitVersion(a.id, s.key, s.size, s.sha256, { contentType: 'application/octet-stream' });
    expect(version).toMatchObject({ sizeBytes: size, sha256: expected });
    const head = await store.head(contentAddressedKey(expected));
    expect(head).toMatchObject({ size, sha256: expected });
  });

  it('refuses a commit whose size or sha256 differs from the staged bytes, or whose staging object is gone, and records nothing', async () => {
    const a = await newFile();
    const s = await stage(Buffer.from('real bytes'));
    const wrongSha = sha(Buffer.from('other bytes'));
    await expect(committer.commitVersion(a.id, s.key, s.size, wrongSha, { contentType: 'text/plain' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    // Staged without a recorded digest (as the api stages): a small object is hashed again.
    const unrecorded = newStagingKey(randomUUID());
    await store.put(unrecorded, Buffer.from('real bytes'), { recordDigest: false });
    await expect(committer.commitVersion(a.id, unrecorded, s.size, wrongSha, { contentType: 'text/plain' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    await expect(committer.commitVersion(a.id, s.key, s.size + 1, s.sha256, { contentType: 'text/plain' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    await expect(committer.commitVersion(a.id, newStagingKey(randomUUID()), 1, s.sha256, { contentType: 'text/plain' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(committer.commitVersion(999_999_999, s.key, s.size, s.sha256, { contentType: 'text/plain' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    const progress = await artifacts.create({ ref: ref('progress'), type: 'progress' } as never);
    await expect(committer.commitVersion(progress.id, s.key, s.size, s.sha256, { contentType: 'text/plain' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    expect(await repo.listVersions(a.id)).toEqual([]);
    expect(await store.exists(contentAddressedKey(sha(Buffer.from('real bytes'))))).toBe(false);
  });

  it('keeps only the newest versions under a versions retention, and collects the blobs nothing references any more', async () => {
    const a = await newFile({ retention_policy: 'versions', retention_limit: 3 });
    const contents = [1, 2, 3, 4, 5].map((i) => Buffer.from(`retained ${tag} ${i}`));
    for (const c of contents) await upload(a.id, c);
    expect((await repo.listVersions(a.id)).map((v) => v.version)).toEqual([5, 4, 3]);
    expect(await store.exists(contentAddressedKey(sha(contents[0])))).toBe(false);
    expect(await store.exists(contentAddressedKey(sha(contents[1])))).toBe(false);
    expect(await store.exists(contentAddressedKey(sha(contents[2])))).toBe(true);
    expect(await repo.knownBlobs([sha(contents[0]), sha(contents[4])])).toEqual(new Set([sha(contents[4])]));
    // Lowering the limit applies at once.
    const updated = await artifacts.update({ artifact_id: a.id, retention_limit: 1 } as never);
    expect(updated.latest_version).toBe(5);
    expect((await repo.listVersions(a.id)).map((v) => v.version)).toEqual([5]);
    expect(await store.exists(contentAddressedKey(sha(contents[3])))).toBe(false);
  });

  it('applies time-based retention in the sweep, and one sweeper holds the lock at a time', async () => {
    const a = await newFile({ retention_policy: 'minutes', retention_limit: 5 });
    const old = Buffer.from(`old ${tag}`);
    const fresh = Buffer.from(`fresh ${tag}`);
    await upload(a.id, old);
    await upload(a.id, fresh);
    await ds.query(`UPDATE artifact_versions SET created = now() - interval '6 minutes' WHERE artifact = $1 AND version = 1`, [a.id]);

    // Another replica is sweeping: this one skips the round.
    const other = new pg.Client({ connectionString: (ds.options as { url: string }).url });
    await other.connect();
    try {
      await other.query(`SELECT pg_advisory_lock(hashtext($1))`, [SWEEPER_LOCK]);
      expect(await sweeper.sweepOnce()).toBeNull();
      expect((await repo.listVersions(a.id)).length).toBe(2);
      await other.query(`SELECT pg_advisory_unlock(hashtext($1))`, [SWEEPER_LOCK]);
    } finally {
      await other.end();
    }

    const report = await sweeper.sweepOnce();
    expect(report).not.toBeNull();
    expect(report!.expiredVersions).toBeGreaterThanOrEqual(1);
    expect((await repo.listVersions(a.id)).map((v) => v.version)).toEqual([2]);
    expect((await repo.findById(a.id))?.latestVersion).toBe(2);
    expect(await store.exists(contentAddressedKey(sha(old)))).toBe(false);
    expect(await store.exists(contentAddressedKey(sha(fresh)))).toBe(true);
  });

  it('never collects a blob while a commit is referencing it (commit first, then collection waits)', async () => {
    const a = await newFile();
    const content = Buffer.from(`race-1 ${tag}`);
    const digest = sha(content);
    const s = await stage(content);
    const hold = gate();
    const entered = gate();
    // The commit holds the blob row's lock inside ensureBlobStored.
    const commit = repo.commitVersion({ artifactId: a.id, sha256: digest, sizeBytes: s.size, contentType: 'text/plain' }, async () => {
      await store.copy(s.key, contentAddressedKey(digest));
      entered.open();
      await hold.promise;
    });
    await entered.promise;
    let collected: boolean | undefined;
    const collection = repo.collectBlob(digest, s.size, () => store.delete(contentAddressedKey(digest))).then((r) => (collected = r));
    await new Promise((r) => setTimeout(r, 200));
    expect(collected).toBeUndefined(); // waiting for the commit's lock
    hold.open();
    await commit;
    await collection;
    expect(collected).toBe(false);
    expect(await store.exists(contentAddressedKey(digest))).toBe(true);
  });

  it('never loses content when a collection holds the blob first (the commit waits, then stores it again)', async () => {
    const a = await newFile();
    const b = await newFile();
    const content = Buffer.from(`race-2 ${tag}`);
    const digest = sha(content);
    await upload(a.id, content);
    await artifacts.delete(a.id); // collects it at once
    expect(await store.exists(contentAddressedKey(digest))).toBe(false);
    // Put the object back without a version: an orphan, collected while a new commit arrives.
    await store.put(contentAddressedKey(digest), content);
    const hold = gate();
    const entered = gate();
    const collection = repo.collectBlob(digest, content.length, async () => {
      entered.open();
      await hold.promise;
      await store.delete(contentAddressedKey(digest));
    });
    await entered.promise;
    const staged = await stage(content);
    const commit = committer.commitVersion(b.id, staged.key, staged.size, staged.sha256, { contentType: 'text/plain' });
    await new Promise((r) => setTimeout(r, 200));
    hold.open();
    expect(await collection).toBe(true);
    const { version } = await commit;
    expect(version.sha256).toBe(digest);
    expect(await readAll(await store.get(contentAddressedKey(digest)))).toEqual(content);
  });

  it('collects orphaned blobs and abandoned staging uploads, and leaves other prefixes alone', async () => {
    const orphan = Buffer.from(`orphan ${tag}`);
    await store.put(contentAddressedKey(sha(orphan)), orphan);
    const oldStaging = `staging/${Date.now() - 120_000}-${randomUUID()}`;
    const newStaging = newStagingKey(randomUUID());
    await store.put(oldStaging, Buffer.from('abandoned'));
    await store.put(newStaging, Buffer.from('in progress'));
    const pack = `packs/sha256/${sha(Buffer.from(run))}.tar.gz`;
    await store.put(pack, Buffer.from('a pack archive'));
    const foreign = 'blobs/not-a-digest';
    await store.put(foreign, Buffer.from('not ours'));

    expect(await collector.collectOrphans()).toBeGreaterThanOrEqual(1);
    expect(await collector.collectStaging(60_000)).toBeGreaterThanOrEqual(1);

    expect(await store.exists(contentAddressedKey(sha(orphan)))).toBe(false);
    expect(await store.exists(oldStaging)).toBe(false);
    expect(await store.exists(newStaging)).toBe(true);
    expect(await store.exists(pack)).toBe(true);
    expect(await store.exists(foreign)).toBe(true);
    await store.delete(newStaging);
  });

  it('cleans up by age: a dry run reports exactly what the real run then deletes, with shared content counted once', async () => {
    const owner = `cleanup-${driver.name}-${tag}`;
    const shared = Buffer.from(`shared-by-cleanup ${tag}`.repeat(10));
    const keptShared = Buffer.from(`kept-elsewhere ${tag}`.repeat(20));
    const a = await artifacts.create({ ref: ref('c'), type: 'file_text', scope: 'pack', owner } as never);
    const b = await artifacts.create({ ref: ref('c'), type: 'file_binary', scope: 'pack', owner } as never);
    const keeper = await newFile();
    await upload(a.id, shared);
    await upload(b.id, shared);
    await upload(b.id, keptShared);
    await upload(keeper.id, keptShared);
    const fresh = await artifacts.create({ ref: ref('c'), type: 'file_text', scope: 'pack', owner } as never);
    await upload(fresh.id, Buffer.from(`fresh ${tag}`));
    await ds.query(`UPDATE artifact_versions SET created = now() - interval '2 hours' WHERE artifact = ANY($1::bigint[])`, [[a.id, b.id]]);
    await ds.query(`UPDATE artifacts SET updated = now() - interval '2 hours' WHERE id = ANY($1::bigint[])`, [[a.id, b.id]]);

    const dry = await cleanups.cleanup({ older_than: '1h', scope: 'pack', owner, dry_run: true });
    expect(dry).toMatchObject({ dry_run: true, deleted_artifacts: 2, deleted_versions: 3, freed_bytes: shared.length });
    expect(dry.items.map((i) => [i.artifact, i.versions, i.artifact_deleted])).toEqual([
      [a.id, [1], true],
      [b.id, [1, 2], true],
    ]);
    expect(await repo.findById(a.id)).not.toBeNull();
    expect(await store.exists(contentAddressedKey(sha(shared)))).toBe(true);

    const real = await cleanups.cleanup({ older_than: '1h', scope: 'pack', owner });
    expect({ ...real, dry_run: true, cutoff: dry.cutoff }).toEqual(dry);
    expect(await repo.findById(a.id)).toBeNull();
    expect(await repo.findById(b.id)).toBeNull();
    expect(await repo.findById(fresh.id)).not.toBeNull();
    expect(await store.exists(contentAddressedKey(sha(shared)))).toBe(false);
    expect(await store.exists(contentAddressedKey(sha(keptShared)))).toBe(true);
  });

  it('appends progress entries to progress artifacts only, and refuses duplicates and unknown executions', async () => {
    const p = await artifacts.create({ ref: ref('p'), type: 'progress' } as never);
    await Promise.all([1, 2, 3, 4, 5].map((i) => artifacts.appendProgress({ artifact_id: p.id, entry: { iteration: i } })));
    const after = await repo.findById(p.id);
    expect((after?.data as { iteration: number }[]).map((e) => e.iteration).sort()).toEqual([1, 2, 3, 4, 5]);
    const f = await newFile();
    await expect(artifacts.appendProgress({ artifact_id: f.id, entry: { iteration: 1 } })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(artifacts.create({ ref: p.ref, type: 'progress' } as never)).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(artifacts.create({ ref: ref('x'), type: 'file_text', execution: 999_999_999 } as never)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(artifacts.create({ ref: ref('x'), type: 'file_text', retention_policy: 'versions' } as never)).rejects.toBeInstanceOf(DomainError);
  });
});
