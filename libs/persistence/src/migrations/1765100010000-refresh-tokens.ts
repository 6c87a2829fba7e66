import type { MigrationInterface, QueryRunner } from 'typeorm';
import { dropTables } from './migration-sql';

/**
 * Refresh tokens are recorded so each can be spent once (rotation) and revoked (logout). A token
 * presented after it was spent revokes every token descending from the same sign-in (its family):
 * one of the two holders is not the user.
 */
export class RefreshTokens1765100010000 implements MigrationInterface {
  name = 'RefreshTokens1765100010000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE refresh_tokens (
        jti uuid PRIMARY KEY,
        identity_id bigint NOT NULL REFERENCES identities(id) ON DELETE CASCADE,
        family uuid NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        revoked_at timestamptz,
        created timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family)`);
    await q.query(`CREATE INDEX refresh_tokens_identity_idx ON refresh_tokens (identity_id, expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await dropTables(q, 'refresh_tokens');
  }
}
