import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createTable, dropTables } from './migration-sql';

/**
 * Registry and identity: uploaded pack archives (content-addressed, one row per distinct
 * upload), the pack version an execution runs, why an execution waits for a worker, ref
 * formats, and identities that can be deactivated or have their tokens revoked.
 */
export class Registry1763800000000 implements MigrationInterface {
  name = 'Registry1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE packs ADD COLUMN digest text CHECK (digest ~ '^[0-9a-f]{64}$')`);
    await q.query(createTable('pack_versions', `
        pack_id bigint NOT NULL REFERENCES packs(id) ON DELETE CASCADE,
        pack_ref text NOT NULL,
        version text NOT NULL,
        digest text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
        size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
        blob_key text NOT NULL,
        files jsonb NOT NULL DEFAULT '[]',
        uploaded_by bigint REFERENCES identities(id) ON DELETE SET NULL`, {
      updated: false,
      after: `
        UNIQUE (pack_id, digest)`,
    }));
    await q.query(`CREATE INDEX pack_versions_digest_idx ON pack_versions (digest)`);
    // Existing refs all have this form; from now on the database refuses anything else.
    await q.query(`ALTER TABLE actions ADD CONSTRAINT actions_ref_format
      CHECK (ref ~ '^[a-z0-9][a-z0-9_-]*\\.[A-Za-z0-9_][A-Za-z0-9_-]*$' AND split_part(ref, '.', 1) = pack_ref)`);
    await q.query(`ALTER TABLE executions ADD COLUMN pack_digest text CHECK (pack_digest ~ '^[0-9a-f]{64}$')`);
    await q.query(`ALTER TABLE executions ADD COLUMN waiting_reason text`);
    // Executions parked in `scheduled` until a worker with their runtime appears.
    await q.query(`CREATE INDEX executions_waiting_idx ON executions (updated)
      WHERE status = 'scheduled' AND waiting_reason IS NOT NULL`);
    await q.query(`ALTER TABLE identities ADD COLUMN is_active boolean NOT NULL DEFAULT true`);
    await q.query(`ALTER TABLE identities ADD COLUMN tokens_valid_after timestamptz`);
    await q.query(`ALTER TABLE identities ADD CONSTRAINT identities_roles_known
      CHECK (roles <@ ARRAY['viewer', 'operator', 'admin']::text[])`);
    // The bus namespace a worker lives in: platforms (and test runs) sharing one database must
    // never route work to each other's workers.
    await q.query(`ALTER TABLE workers ADD COLUMN namespace text NOT NULL DEFAULT ''`);
    await q.query(`CREATE INDEX workers_pool_idx ON workers (namespace, pool, last_heartbeat DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX workers_pool_idx`);
    await q.query(`ALTER TABLE workers DROP COLUMN namespace`);
    await q.query(`ALTER TABLE identities DROP CONSTRAINT identities_roles_known`);
    await q.query(`ALTER TABLE identities DROP COLUMN tokens_valid_after`);
    await q.query(`ALTER TABLE identities DROP COLUMN is_active`);
    await q.query(`DROP INDEX executions_waiting_idx`);
    await q.query(`ALTER TABLE executions DROP COLUMN waiting_reason`);
    await q.query(`ALTER TABLE executions DROP COLUMN pack_digest`);
    await q.query(`ALTER TABLE actions DROP CONSTRAINT actions_ref_format`);
    await dropTables(q, 'pack_versions');
    await q.query(`ALTER TABLE packs DROP COLUMN digest`);
  }
}
