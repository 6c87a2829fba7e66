import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createTable, dropTables } from './migration-sql';

/**
 * The key-value datastore (`/api/v1/keys`, written by the api) and inquiries (`core.inquiry`,
 * written by the executor).
 *
 * A key is unique per (scope, owner, name): `system` keys have the owner '', `user` keys the
 * owner's login (and `owner_identity`, so they go with the account), `pack` keys the pack ref.
 * An encrypted key keeps its value only sealed (`encrypted_value`, AES-256-GCM under
 * ATTUNE_SECRETS_KEY); `value` is then NULL, so the database holds no plain text of it.
 */
export class DatastoreInquiries1765700000000 implements MigrationInterface {
  name = 'DatastoreInquiries1765700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(createTable('keys', `
        name text NOT NULL,
        scope text NOT NULL CHECK (scope IN ('system', 'user', 'pack')),
        owner text NOT NULL DEFAULT '',
        owner_identity bigint REFERENCES identities(id) ON DELETE CASCADE,
        encrypted boolean NOT NULL DEFAULT false,
        value jsonb,
        encrypted_value text,
        expires_at timestamptz,
        created_by text`, {
      after: `
        CHECK ((scope = 'system') = (owner = '')),
        CHECK ((scope = 'user') = (owner_identity IS NOT NULL)),
        CHECK (NOT encrypted OR (value IS NULL AND encrypted_value IS NOT NULL)),
        CHECK (encrypted OR encrypted_value IS NULL)`,
    }));
    await q.query(`CREATE UNIQUE INDEX keys_scope_owner_name ON keys (scope, owner, name)`);
    await q.query(`CREATE INDEX keys_expires_at ON keys (expires_at) WHERE expires_at IS NOT NULL`);
    await q.query(createTable('inquiries', `
        execution bigint NOT NULL UNIQUE REFERENCES executions(id) ON DELETE CASCADE,
        title text,
        prompt text,
        schema jsonb NOT NULL DEFAULT '{}',
        assigned_to text[] NOT NULL DEFAULT '{}',
        roles text[] NOT NULL DEFAULT '{}',
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'responded', 'timeout', 'cancelled')),
        response jsonb,
        responded_by text,
        responded_at timestamptz,
        timeout_at timestamptz`));
    await q.query(`CREATE INDEX inquiries_pending ON inquiries (timeout_at) WHERE status = 'pending'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await dropTables(q, 'inquiries', 'keys');
  }
}
