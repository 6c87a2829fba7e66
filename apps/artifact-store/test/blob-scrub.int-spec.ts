import { newUploadKey } from '@attune/contracts';
import { BlobRepository } from '@attune/persistence';
import { FsBlobStore } from '@attune/storage';
import { prepareTestDatabase } from '@attune/testing';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { ArtifactService } from '../src/artifacts/artifact.service';
import { VersionCommitter } from '../src/artifacts/version-committer.service';
import { BlobScrubber } from '../src/integrity/blob-scrubber.service';
import { openArtifactStore } from './support';

/**
 * The integrity scrub against the fs driver and real Postgres. A database of its own: a scrub
 * pass visits every blob row, and other suites' blobs are not in this store.
 */
describe('blob integrity scrub (fs driver, real Postgres)', () => {
  let app: INestApplicationContext;
  let root: string;
  let store: FsBlobStore;
  let repo: BlobRepository;
  let committer: VersionCommitter;
  let scrubber: BlobScrubber;
  let ds: DataSource;
  let artifactId: number;

  beforeAll(async () => {
    const url = await prepareTestDatabase('scrub');
    root = await mkdtemp(path.join(tmpdir(), 'attune-scrub-it-'));
    store = new FsBlobStore({ root });
    // Batches of 2 blobs: a pass is bounded.
    app = await openArtifactStore(url, store, { scrubIntervalMs: 0, scrubBatch: 2, scrubMaxBytes: 1024 ** 3 });
    repo = app.get(BlobRepository);
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
    expect(repaired).toEqual({ key: expect.not.stringMatching(blob!.key), corruptSince: null, encoding: null });
    expect((await store.head(repaired!.key))?.sha256).toBe(version.sha256);
  });

  it('checks a gzip-stored blob by what it decompresses to: sound as committed, corrupt once its bytes rot', async () => {
    const original = Buffer.from('a line of log text\n'.repeat(20_000));
    const sha256 = createHash('sha256').update(original).digest('hex');
    const key = newUploadKey(randomUUID());
    const stored = gzipSync(original);
    await store.put(key, stored);
    const { version } = await committer.commitVersion(artifactId, key, original.length, sha256, {
      contentType: 'text/plain',
      encoding: 'gzip',
      storedSize: stored.length,
    });
    expect(version).toMatchObject({ sizeBytes: original.length, sha256 });
    expect(await repo.blobForDownload(sha256)).toMatchObject({ key, encoding: 'gzip' });
    // A commit whose stored size is not the object's is refused.
    const other = newUploadKey(randomUUID());
    await store.put(other, stored);
    await expect(
      committer.commitVersion(artifactId, other, original.length, sha256, { contentType: 'text/plain', encoding: 'gzip', storedSize: stored.length + 1 }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await ds.query(`UPDATE artifact_blobs SET verified_at = now() WHERE sha256 <> $1`, [sha256]);
    await scrubber.sweep();
    expect(await corruptSince(sha256)).toBeNull();
    const rotten = Buffer.from(stored);
    rotten[rotten.length >> 1] ^= 0xff;
    await writeFile(path.join(root, 'objects', ...key.split('/')), rotten);
    await ds.query(`UPDATE artifact_blobs SET verified_at = NULL WHERE sha256 = $1`, [sha256]);
    await scrubber.sweep();
    expect(await corruptSince(sha256)).not.toBeNull();
  });
});
