import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who created each artifact, and what the integrity scrub found of each blob.
 *
 * `artifacts.created_by`: the user's login, `execution:<id>` for an execution token, or
 * `platform` for what the services make themselves (execution logs). Rows from before are
 * unknown (null), except logs, which only the platform makes.
 *
 * `artifact_blobs.verified_at`: when the scrub last re-read the blob and found its sha256;
 * `corrupt_since`: when it found other bytes (or none). A corrupt blob is not served.
 */
export class ArtifactIntegrity1765300000000 implements MigrationInterface {
  name = 'ArtifactIntegrity1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE artifacts ADD COLUMN created_by text`);
    await q.query(`UPDATE artifacts SET created_by = 'platform' WHERE origin = 'log'`);
    // Inserts that do not say (the log recorder's) are the platform's own.
    await q.query(`ALTER TABLE artifacts ALTER COLUMN created_by SET DEFAULT 'platform'`);
    await q.query(`ALTER TABLE artifact_blobs ADD COLUMN verified_at timestamptz, ADD COLUMN corrupt_since timestamptz`);
    // The scrub takes the blobs checked longest ago (never checked first).
    await q.query(`CREATE INDEX artifact_blobs_verified_idx ON artifact_blobs (verified_at ASC NULLS FIRST, sha256)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX artifact_blobs_verified_idx`);
    await q.query(`ALTER TABLE artifact_blobs DROP COLUMN corrupt_since, DROP COLUMN verified_at`);
    await q.query(`ALTER TABLE artifacts DROP COLUMN created_by`);
  }
}
