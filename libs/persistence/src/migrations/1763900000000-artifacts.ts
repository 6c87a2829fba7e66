import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createTable, dropTables } from './migration-sql';

/**
 * Artifacts, their immutable versions, and the content-addressed blobs the versions point at.
 * artifact-store is the only writer of these three tables.
 *
 * - `artifacts.next_version` hands out version numbers; they are never reused, even after
 *   deletions. `latest_version`/`size_bytes` summarise the newest live version.
 * - `artifact_blobs` has one row per distinct content (sha256) stored under `blobs/` in the
 *   bucket. A version's foreign key keeps its blob row alive; the row's lock is what a commit and
 *   the garbage collector take before touching the object, so a blob is never collected while a
 *   commit is about to reference it.
 */
export class Artifacts1763900000000 implements MigrationInterface {
  name = 'Artifacts1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(createTable('artifacts', `
        ref text NOT NULL UNIQUE,
        type text NOT NULL CHECK (type IN ('file_binary', 'file_datatable', 'file_image', 'file_text', 'progress', 'url', 'other')),
        scope text NOT NULL DEFAULT 'system' CHECK (scope IN ('system', 'identity', 'pack', 'action', 'sensor')),
        owner text NOT NULL DEFAULT '',
        name text,
        description text,
        content_type text,
        execution bigint REFERENCES executions(id) ON DELETE SET NULL,
        retention_policy text CHECK (retention_policy IN ('versions', 'days', 'hours', 'minutes')),
        retention_limit integer CHECK (retention_limit > 0),
        data jsonb,
        latest_version integer,
        size_bytes bigint NOT NULL DEFAULT 0,
        next_version integer NOT NULL DEFAULT 1`, {
      after: `
        CONSTRAINT artifacts_retention_pair CHECK ((retention_policy IS NULL) = (retention_limit IS NULL))`,
    }));
    await q.query(`CREATE INDEX artifacts_execution_idx ON artifacts (execution) WHERE execution IS NOT NULL`);
    await q.query(`CREATE INDEX artifacts_created_idx ON artifacts (created DESC, id DESC)`);
    await q.query(`CREATE INDEX artifacts_scope_owner_idx ON artifacts (scope, owner)`);
    // The retention sweep only looks at artifacts with a time-based policy.
    await q.query(`CREATE INDEX artifacts_timed_retention_idx ON artifacts (id) WHERE retention_policy IN ('days', 'hours', 'minutes')`);
    await q.query(`
      CREATE TABLE artifact_blobs (
        sha256 text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
        created timestamptz NOT NULL DEFAULT now(),
        last_referenced timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(createTable('artifact_versions', `
        artifact bigint NOT NULL REFERENCES artifacts(id) ON DELETE CASCADE,
        version integer NOT NULL CHECK (version > 0),
        execution bigint REFERENCES executions(id) ON DELETE SET NULL,
        content_type text NOT NULL,
        size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
        sha256 text NOT NULL REFERENCES artifact_blobs(sha256),
        created_by text`, {
      updated: false,
      after: `
        CONSTRAINT artifact_versions_artifact_version_key UNIQUE (artifact, version)`,
    }));
    await q.query(`CREATE INDEX artifact_versions_sha256_idx ON artifact_versions (sha256)`);
    await q.query(`CREATE INDEX artifact_versions_created_idx ON artifact_versions (created)`);
    await q.query(`CREATE INDEX artifact_versions_execution_idx ON artifact_versions (execution) WHERE execution IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await dropTables(q, 'artifact_versions', 'artifact_blobs', 'artifacts');
  }
}
