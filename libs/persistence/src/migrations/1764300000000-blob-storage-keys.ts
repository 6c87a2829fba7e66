import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Where each blob's bytes live. Until now a blob was always at its content address
 * (`blobs/sha256/ab/cd/<sha256>`), so committing an upload meant copying the staged object there:
 * a second full write of every new content. Now the first upload of a content stays where it
 * was written (`blobs/u/<time>-<id>`) and its blob row records that key; later uploads of the
 * same content are deleted at commit (stored once, as before). Rows from before keep their
 * content address.
 *
 * Each version also records the upload it was committed from, so a commit delivered twice (a
 * redelivered bus message) answers the version it made the first time instead of adding another.
 */
export class BlobStorageKeys1764300000000 implements MigrationInterface {
  name = 'BlobStorageKeys1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE artifact_blobs ADD COLUMN storage_key text`);
    await q.query(
      `UPDATE artifact_blobs SET storage_key = 'blobs/sha256/' || substr(sha256, 1, 2) || '/' || substr(sha256, 3, 2) || '/' || sha256`,
    );
    await q.query(`ALTER TABLE artifact_blobs ALTER COLUMN storage_key SET NOT NULL`);
    await q.query(`CREATE UNIQUE INDEX artifact_blobs_storage_key_idx ON artifact_blobs (storage_key)`);
    await q.query(`ALTER TABLE artifact_versions ADD COLUMN upload_key text`);
    await q.query(`CREATE UNIQUE INDEX artifact_versions_upload_key_idx ON artifact_versions (upload_key) WHERE upload_key IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Blobs adopted in place would be lost to a content-addressed reader: refuse rather than guess.
    const [{ n }] = (await q.query(
      `SELECT count(*)::int AS n FROM artifact_blobs
        WHERE storage_key <> 'blobs/sha256/' || substr(sha256, 1, 2) || '/' || substr(sha256, 3, 2) || '/' || sha256`,
    )) as { n: number }[];
    if (n > 0) throw new Error(`${n} blobs are stored outside their content address; copy them there before reverting`);
    await q.query(`ALTER TABLE artifact_versions DROP COLUMN upload_key`);
    await q.query(`DROP INDEX artifact_blobs_storage_key_idx`);
    await q.query(`ALTER TABLE artifact_blobs DROP COLUMN storage_key`);
  }
}
