import { DomainError, newUploadKey } from '@attune/contracts';
import { ArtifactRepository, ArtifactVersionRepository, BlobRepository } from '@attune/persistence';
import { type BlobStore, contentAddressedKey, FsBlobStore, S3BlobStore } from '@attune/storage';
import { prepareTestDatabase, startS3rver, type RunningS3rver } from '@attune/testing';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import pg from 'pg';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { ArtifactService } from '../src/artifacts/artifact.service';
import { VersionCommitter } from '../src/artifacts/version-committer.service';
import { ArtifactCleanup } from '../src/retention/artifact-cleanup.service';
import { BlobCollector, FULL_UPLOAD_SWEEP_MS } from '../src/retention/blob-collector.service';
import { RetentionSweeper, SWEEPER_LOCK } from '../src/retention/retention-sweeper.service';
import { openArtifactStore } from './support';

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
  let artifactRows: ArtifactRepository;
  let versions: ArtifactVersionRepository;
  let blobs: BlobRepository;
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
    app = await openArtifactStore(url, store, { sweepIntervalMs: 3_600_000, stagingTtlMs: 60_000 }, 6);
    artifactRows = app.get(ArtifactRepository);
    versions = app.get(ArtifactVersionRepository);
    blobs = app.get(BlobRepository);
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

  /** What the api does for an upload: stream it under a new upload key, which measures size and sha256. */
  async function stage(bytes: Buffer | NodeJS.ReadableStream, key = newUploadKey(randomUUID())): Promise<{ key: string; size: number; sha256: string }> {
    const put = await store.put(key, bytes);
    return { key, size: put.size, sha256: put.sha256 };
  }

  /** Whether a content's blob row exists and its object is in the store. */
  async function isStored(digest: string): Promise<boolean> {
    const key = await blobs.blobKey(digest);
    return key !== null && (await store.exists(key));
  }

  async function contentOf(digest: string): Promise<Buffer> {
    const key = await blobs.blobKey(digest);
    if (!key) throw new Error(`no blob row for ${digest}`);
    return readAll(await store.get(key));
  }

  async function upload(artifactId: number, bytes: Buffer) {
    const s = await stage(bytes);
    return committer.commitVersion(artifactId, s.key, s.size, s.sha256, { contentType: 'text/plain' });
  }

  const newFile = (extra: Record<string, unknown> = {}) => artifacts.create({ ref: ref('file'), type: 'file_text', ...extra } as never);

  it('commits uploads as numbered versions, adopting new content where it was uploaded (no copy)', async () => {
    const a = await newFile();
    const one = Buffer.from(`first ${tag}\n`);
    const two = Buffer.from(`second ${tag}\n`);
    const s1 = await stage(one);
    const v1 = await committer.commitVersion(a.id, s1.key, s1.size, s1.sha256, { contentType: 'text/plain' });
    const v2 = await upload(a.id, two);
    expect([v1.version.version, v2.version.version]).toEqual([1, 2]);
    expect(v1.adopted).toBe(true);
    expect(v2.version).toMatchObject({ artifact: a.id, sizeBytes: two.length, sha256: sha(two), contentType: 'text/plain' });
    expect(v2.artifact).toMatchObject({ latestVersion: 2, sizeBytes: two.length });
    expect(await blobs.blobKey(sha(one))).toBe(s1.key);
    expect(await contentOf(sha(one))).toEqual(one);
    expect(await contentOf(sha(two))).toEqual(two);
    expect(await keys(store, 'blobs/sha256/')).toEqual([]);
  });

  it('stores identical content once, whichever artifact it belongs to', async () => {
    const content = Buffer.from(`shared content ${tag}`);
    const a = await newFile();
    const b = await newFile();
    await upload(a.id, content);
    const before = await keys(store, 'blobs/');
    expect((await upload(b.id, content)).adopted).toBe(false);
    expect((await upload(b.id, content)).adopted).toBe(false);
    // The redundant uploads are gone again: the same objects as before.
    expect(await keys(store, 'blobs/')).toEqual(before);
    expect((await blobs.blobStats([sha(content)])).get(sha(content))).toBe(3);
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
    const head = await store.head(s.key);
    expect(head).toMatchObject({ size, sha256: expected });
    expect(await blobs.blobKey(expected)).toBe(s.key);
  });

  it('refuses a commit whose size or recorded sha256 differs from the uploaded bytes, or whose upload is gone, and records nothing', async () => {
    const a = await newFile();
    const real = Buffer.from(`real bytes ${tag}`);
    const s = await stage(real);
    const wrongSha = sha(Buffer.from('other bytes'));
    await expect(committer.commitVersion(a.id, s.key, s.size, wrongSha, { contentType: 'text/plain' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    await expect(committer.commitVersion(a.id, s.key, s.size, 'not-a-digest', { contentType: 'text/plain' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    await expect(committer.commitVersion(a.id, s.key, s.size + 1, s.sha256, { contentType: 'text/plain' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    await expect(committer.commitVersion(a.id, newUploadKey(randomUUID()), 1, s.sha256, { contentType: 'text/plain' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(committer.commitVersion(999_999_999, s.key, s.size, s.sha256, { contentType: 'text/plain' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    const progress = await artifacts.create({ ref: ref('progress'), type: 'progress' } as never);
    await expect(committer.commitVersion(progress.id, s.key, s.size, s.sha256, { contentType: 'text/plain' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    expect(await versions.listVersions(a.id)).toEqual([]);
    expect(await blobs.blobKey(sha(real))).toBeNull();
  });

  it('keeps only the newest versions under a versions retention, and collects the blobs nothing references any more', async () => {
    const a = await newFile({ retention_policy: 'versions', retention_limit: 3 });
    const contents = [1, 2, 3, 4, 5].map((i) => Buffer.from(`retained ${tag} ${i}`));
    for (const c of contents) await upload(a.id, c);
    const keysBefore = await blobs.blobKeys(contents.map(sha));
    expect((await versions.listVersions(a.id)).map((v) => v.version)).toEqual([5, 4, 3]);
    expect(keysBefore.size).toBe(3);
    expect(await isStored(sha(contents[0]))).toBe(false);
    expect(await isStored(sha(contents[1]))).toBe(false);
    expect(await isStored(sha(contents[2]))).toBe(true);
    expect(await keys(store, 'blobs/')).toEqual(expect.arrayContaining([...keysBefore.values()]));
    expect(await blobs.knownBlobs([sha(contents[0]), sha(contents[4])])).toEqual(new Set([sha(contents[4])]));
    // Lowering the limit applies at once.
    const updated = await artifacts.update({ artifact_id: a.id, retention_limit: 1 } as never);
    expect(updated.latest_version).toBe(5);
    expect((await versions.listVersions(a.id)).map((v) => v.version)).toEqual([5]);
    const fourth = keysBefore.get(sha(contents[3])) as string;
    expect(await isStored(sha(contents[3]))).toBe(false);
    expect(await store.exists(fourth)).toBe(false);
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
      expect((await versions.listVersions(a.id)).length).toBe(2);
      await other.query(`SELECT pg_advisory_unlock(hashtext($1))`, [SWEEPER_LOCK]);
    } finally {
      await other.end();
    }

    const report = await sweeper.sweepOnce();
    expect(report).not.toBeNull();
    expect(report!.expiredVersions).toBeGreaterThanOrEqual(1);
    expect((await versions.listVersions(a.id)).map((v) => v.version)).toEqual([2]);
    expect((await artifactRows.findById(a.id))?.latestVersion).toBe(2);
    expect(await isStored(sha(old))).toBe(false);
    expect(await isStored(sha(fresh))).toBe(true);
  });

  /** A content whose blob row and object exist but that no version references (collectable). */
  async function unreferenced(content: Buffer): Promise<string> {
    const holder = await newFile();
    await upload(holder.id, content);
    expect(await versions.deleteVersion(holder.id, 1)).toEqual({ released: [sha(content)] });
    return (await blobs.blobKey(sha(content))) as string;
  }

  it('never collects a blob while a commit is referencing it (commit first, then collection waits)', async () => {
    const a = await newFile();
    const content = Buffer.from(`race-1 ${tag}`);
    const digest = sha(content);
    const key = await unreferenced(content);
    const s = await stage(content);
    const hold = gate();
    const entered = gate();
    // The commit holds the blob row's lock while it checks that the stored object is there.
    const commit = versions.commitVersion(
      { artifactId: a.id, sha256: digest, sizeBytes: s.size, contentType: 'text/plain', stagedKey: s.key },
      async (k) => {
        entered.open();
        await hold.promise;
        return store.exists(k);
      },
      async () => [],
    );
    await entered.promise;
    let collected: boolean | undefined;
    const collection = collector.collect([digest]).then((n) => (collected = n === 1));
    await new Promise((r) => setTimeout(r, 200));
    expect(collected).toBeUndefined(); // waiting for the commit's lock
    hold.open();
    expect((await commit).adopted).toBe(false);
    await collection;
    expect(collected).toBe(false);
    expect(await blobs.blobKey(digest)).toBe(key);
    expect(await contentOf(digest)).toEqual(content);
    await store.delete(s.key);
  });

  it('never loses content when a collection holds the blob first (the commit waits, then adopts its own upload)', async () => {
    const b = await newFile();
    const content = Buffer.from(`race-2 ${tag}`);
    const digest = sha(content);
    const key = await unreferenced(content);
    const hold = gate();
    const entered = gate();
    const collection = blobs.collectBlob(digest, async (k) => {
      entered.open();
      await hold.promise;
      await store.delete(k);
    });
    await entered.promise;
    const staged = await stage(content);
    const commit = committer.commitVersion(b.id, staged.key, staged.size, staged.sha256, { contentType: 'text/plain' });
    await new Promise((r) => setTimeout(r, 200));
    hold.open();
    expect(await collection).toBe(true);
    const outcome = await commit;
    expect(outcome.version.sha256).toBe(digest);
    expect(outcome.adopted).toBe(true);
    expect(await store.exists(key)).toBe(false);
    expect(await blobs.blobKey(digest)).toBe(staged.key);
    expect(await contentOf(digest)).toEqual(content);
  });

  it('answers a commit delivered twice with the version of the first delivery, for new and for stored content', async () => {
    const a = await newFile();
    const content = Buffer.from(`twice ${tag}`);
    const s1 = await stage(content);
    const first = await committer.commitVersion(a.id, s1.key, s1.size, s1.sha256, { contentType: 'text/plain' });
    const again = await committer.commitVersion(a.id, s1.key, s1.size, s1.sha256, { contentType: 'text/plain' });
    expect(again.version).toEqual(first.version);
    // Stored content: the second upload is deleted by the first delivery, yet the second delivery still answers.
    const s2 = await stage(content);
    const dedup = await committer.commitVersion(a.id, s2.key, s2.size, s2.sha256, { contentType: 'text/plain' });
    expect(dedup.adopted).toBe(false);
    expect(await store.exists(s2.key)).toBe(false);
    expect((await committer.commitVersion(a.id, s2.key, s2.size, s2.sha256, { contentType: 'text/plain' })).version).toEqual(dedup.version);
    expect((await versions.listVersions(a.id)).map((v) => v.version)).toEqual([2, 1]);
    const other = await newFile();
    await expect(committer.commitVersion(other.id, s1.key, s1.size, s1.sha256, { contentType: 'text/plain' })).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('lets a new upload take the place of a blob whose object was lost', async () => {
    const a = await newFile();
    const content = Buffer.from(`lost ${tag}`);
    await upload(a.id, content);
    await store.delete((await blobs.blobKey(sha(content))) as string);
    const s = await stage(content);
    const outcome = await committer.commitVersion(a.id, s.key, s.size, s.sha256, { contentType: 'text/plain' });
    expect(outcome.adopted).toBe(true);
    expect(await blobs.blobKey(sha(content))).toBe(s.key);
    expect(await contentOf(sha(content))).toEqual(content);
  });

  it('collects orphaned content-addressed objects and abandoned uploads, keeps adopted ones, and leaves other prefixes alone', async () => {
    const orphan = Buffer.from(`orphan ${tag}`);
    await store.put(contentAddressedKey(sha(orphan)), orphan);
    const old = Date.now() - 120_000;
    const oldStaging = `staging/${old}-${randomUUID()}`;
    const oldUpload = newUploadKey(randomUUID(), old);
    const newUpload = newUploadKey(randomUUID());
    await store.put(oldStaging, Buffer.from('abandoned before'));
    await store.put(oldUpload, Buffer.from('abandoned'));
    await store.put(newUpload, Buffer.from('in progress'));
    // An old upload that a commit adopted is a blob now, whatever its age.
    const a = await newFile();
    const adoptedContent = Buffer.from(`adopted long ago ${tag}`);
    const adopted = await stage(adoptedContent, newUploadKey(randomUUID(), old));
    await committer.commitVersion(a.id, adopted.key, adopted.size, adopted.sha256, { contentType: 'text/plain' });
    const pack = `packs/sha256/${sha(Buffer.from(run))}.tar.gz`;
    await store.put(pack, Buffer.from('a pack archive'));
    const foreign = 'blobs/not-a-digest';
    await store.put(foreign, Buffer.from('not ours'));

    expect(await collector.collectOrphans()).toBeGreaterThanOrEqual(1);
    // A collector of its own: its first pass lists every upload (the keys above are back-dated).
    expect(await new BlobCollector(blobs, store, pino({ level: 'silent' })).collectStaging(60_000)).toBeGreaterThanOrEqual(2);

    expect(await store.exists(contentAddressedKey(sha(orphan)))).toBe(false);
    expect(await store.exists(oldStaging)).toBe(false);
    expect(await store.exists(oldUpload)).toBe(false);
    expect(await store.exists(newUpload)).toBe(true);
    expect(await contentOf(sha(adoptedContent))).toEqual(adoptedContent);
    expect(await store.exists(pack)).toBe(true);
    expect(await store.exists(foreign)).toBe(true);
    await store.delete(newUpload);
  });

  it('after one full pass, sweeps only uploads dated after what it settled, and lists them all again once a day', async () => {
    const sweeper = new BlobCollector(blobs, store, pino({ level: 'silent' }));
    const now = Date.now();
    expect(await sweeper.collectStaging(60_000, now)).toBeGreaterThanOrEqual(0); // the full pass settles everything before now - 60 s
    const late = newUploadKey(randomUUID(), now - 300_000); // dated before what was settled: an upload that took long to arrive
    const fresh = newUploadKey(randomUUID(), now - 30_000);
    await store.put(late, Buffer.from('arrived late'));
    await store.put(fresh, Buffer.from('abandoned soon'));
    await sweeper.collectStaging(60_000, now + 60_000); // only the newer one
    expect(await store.exists(fresh)).toBe(false);
    expect(await store.exists(late)).toBe(true);
    expect(await sweeper.collectStaging(60_000, now + FULL_UPLOAD_SWEEP_MS)).toBeGreaterThanOrEqual(1);
    expect(await store.exists(late)).toBe(false);
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
    expect(await artifactRows.findById(a.id)).not.toBeNull();
    expect(await isStored(sha(shared))).toBe(true);
    const sharedKey = (await blobs.blobKey(sha(shared))) as string;

    const real = await cleanups.cleanup({ older_than: '1h', scope: 'pack', owner });
    expect({ ...real, dry_run: true, cutoff: dry.cutoff }).toEqual(dry);
    expect(await artifactRows.findById(a.id)).toBeNull();
    expect(await artifactRows.findById(b.id)).toBeNull();
    expect(await artifactRows.findById(fresh.id)).not.toBeNull();
    expect(await isStored(sha(shared))).toBe(false);
    expect(await store.exists(sharedKey)).toBe(false);
    expect(await isStored(sha(keptShared))).toBe(true);
  });

  it('appends progress entries to progress artifacts only, and refuses duplicates and unknown executions', async () => {
    const p = await artifacts.create({ ref: ref('p'), type: 'progress' } as never);
    await Promise.all([1, 2, 3, 4, 5].map((i) => artifacts.appendProgress({ artifact_id: p.id, entry: { iteration: i } })));
    const after = await artifactRows.findById(p.id);
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
