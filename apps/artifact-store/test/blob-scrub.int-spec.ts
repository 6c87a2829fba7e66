import { newUploadKey } from '@attune/contracts';
import { ArtifactRepository, PersistenceModule, prepareTestDatabase, testDatabaseUrl } from '@attune/persistence';
import { ROOT_LOGGER } from '@attune/service-kit';
import { BLOB_STORE, FsBlobStore, StorageModule } from '@attune/storage';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { ArtifactService } from '../src/artifacts/artifact.service';
import { ArtifactsModule } from '../src/artifacts/artifacts.module';
import { VersionCommitter } from '../src/artifacts/version-committer.service';
import { ArtifactStoreConfig } from '../src/config/artifact-store.config';
import { BlobScrubber } from '../src/integrity/blob-scrubber.service';

/**
 * The integrity scrub against the fs driver and real Postgres. A database of its own: a scrub
 * pass visits every blob row, and other suites' blobs are not in this store.
 */
describe('blob integrity scrub (fs driver, real Postgres)', () => {
  let app: INestApplicationContext;
  let root: string;
  let store: FsBlobStore;
  let repo: ArtifactRepository;
  let committer: VersionCommitter;
  let scrubber: BlobScrubber;
  let ds: DataSource;
  let artifactId: number;

  beforeAll(async () => {
    const url = await prepareTestDatabase(`${new URL(testDatabaseUrl()).pathname.slice(1)}_scrub`);
    root = await mkdtemp(path.join(tmpdir(), 'attune-scrub-it-'));
    store = new FsBlobStore({ root });
    // Batches of 2 blobs: a pass is bounded.
    const config = Object.assign(new ArtifactStoreConfig(), { databaseUrl: url, scrubIntervalMs: 0, scrubBatch: 2, scrubMaxBytes: 1024 ** 3 });
    const logger = pino({ level: 'silent' });
    const moduleRef = await Test.createTestingModule({
      imports: [PersistenceModule.forRoot({ url, poolSize: 4 }), StorageModule.forRoot({ driver: 'fs', fsRoot: root }), ArtifactsModule.forRoot(config, logger)],
      providers: [{ provide: ROOT_LOGGER, useValue: logger }],
    })
      .overrideProvider(BLOB_STORE)
      .useValue(store)
      .compile();
    app = await moduleRef.init();
    repo = app.get(ArtifactRepository);
    committer = app.get(VersionCommitter);
    scrubber = app.get(BlobScrubber);
    ds = app.get(DataSource);
    // Blobs of earlier runs of this suite are in other (deleted) roots: start from none.
    await ds.query(`TRUNCATE artifact_versions, artifact_blobs, artifacts CASCADE`);
    artifactId = (await app.get(ArtifactService).create({ ref: `scrub.${randomUUID()}`, type: 'file_binary' })).id;
  });

  afterAll(async () => {
    await app?.close();
    await rm(root, { recursive: true, force: true });
  });

  async function commit(bytes: Buffer) {
    const key = newUploadKey(randomUUID());
    const put = await store.put(key, bytes);
    return committer.commitVersion(artifactId, key, put.size, put.sha256, { contentType: 'application/octet-stream' });
  }

  const corruptSince = async (sha256: string) =>
    ((await ds.query(`SELECT corrupt_since FROM artifact_blobs WHERE sha256 = $1`, [sha256])) as { corrupt_since: Date | null }[])[0].corrupt_since;

  it('re-hashes stored blobs in bounded passes, finds one corrupted on disk, and marks it so it is not served', async () => {
    const versions = [];
    for (let i = 0; i < 3; i++) versions.push((await commit(randomBytes(100_000 + i))).version);
    const victim = versions[1];
    const blob = await repo.blobForDownload(victim.sha256);
    // Bit rot: same size, other bytes, written behind the store's back.
    await writeFile(path.join(root, 'objects', ...blob!.key.split('/')), randomBytes(victim.sizeBytes));

    // Never-checked blobs first, at most 2 a pass: two passes check all three.
    const first = await scrubber.sweep();
    const second = await scrubber.sweep();
    expect([first.checked, second.checked]).toEqual([2, 2]);
    const checkedAt = (await ds.query(`SELECT verified_at FROM artifact_blobs WHERE sha256 = ANY($1)`, [versions.map((v) => v.sha256)])) as {
      verified_at: Date | null;
    }[];
    expect(checkedAt.every((r) => r.verified_at instanceof Date)).toBe(true);
    expect(new Set([...first.corrupt, ...second.corrupt])).toEqual(new Set([victim.sha256]));
    expect((await repo.blobForDownload(victim.sha256))?.corruptSince).toBeInstanceOf(Date);
    for (const v of [versions[0], versions[2]]) expect(await corruptSince(v.sha256)).toBeNull();
  });

  it('reports a blob whose object is gone as corrupt, and an upload of the same content replaces it', async () => {
    const content = randomBytes(5000);
    const { version } = await commit(content);
    const blob = await repo.blobForDownload(version.sha256);
    await store.delete(blob!.key);
    let found: string[] = [];
    for (let pass = 0; pass < 4 && !found.length; pass++) found = (await scrubber.sweep()).corrupt;
    expect(found).toEqual([version.sha256]);
    expect(await corruptSince(version.sha256)).toBeInstanceOf(Date);

    const again = await commit(content);
    expect(again.adopted).toBe(true);
    const repaired = await repo.blobForDownload(version.sha256);
    expect(repaired).toEqual({ key: expect.not.stringMatching(blob!.key), corruptSince: null });
    expect((await store.head(repaired!.key))?.sha256).toBe(version.sha256);
  });
});
