import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createTable, dropTables } from './migration-sql';

/**
 * API keys: long-lived bearer credentials for scripts and CI, each owned by an identity. Only a
 * SHA-256 of the key is kept (the key is random, 32 bytes: a slow hash adds nothing), with a
 * short prefix to tell keys apart in lists. A key's `role` caps what it may do; its owner's
 * current roles cap it again at each request.
 */
export class ApiKeys1765800000000 implements MigrationInterface {
  name = 'ApiKeys1765800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(createTable('api_keys', `
        identity_id bigint NOT NULL REFERENCES identities(id) ON DELETE CASCADE,
        name text NOT NULL,
        prefix text NOT NULL,
        key_hash text NOT NULL,
        role text CHECK (role IN ('viewer', 'operator', 'admin')),
        expires_at timestamptz,
        last_used timestamptz,
        revoked_at timestamptz`, { updated: false }));
    await q.query(`CREATE UNIQUE INDEX api_keys_hash_idx ON api_keys (key_hash)`);
    await q.query(`CREATE INDEX api_keys_identity_idx ON api_keys (identity_id) WHERE revoked_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await dropTables(q, 'api_keys');
  }
}
