import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createPackContentTable, createTable, dropTables } from './migration-sql';

export class InitialSchema1763700000000 implements MigrationInterface {
  name = 'InitialSchema1763700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(createTable('identities', `
        login text NOT NULL UNIQUE,
        display_name text,
        password_hash text NOT NULL,
        roles text[] NOT NULL DEFAULT '{}'`));
    await q.query(createTable('packs', `
        ref text NOT NULL UNIQUE CHECK (ref ~ '^[a-z0-9][a-z0-9_-]*$'),
        label text NOT NULL,
        version text NOT NULL,
        description text,
        is_standard boolean NOT NULL DEFAULT false`));
    await q.query(createPackContentTable('actions', `
        runtime text NOT NULL CHECK (runtime IN ('shell', 'python', 'node')),
        entrypoint text NOT NULL,
        entrypoint_inline boolean NOT NULL DEFAULT false,
        param_schema jsonb NOT NULL DEFAULT '{"type":"object","properties":{}}',
        out_schema jsonb,
        output_format text NOT NULL DEFAULT 'text' CHECK (output_format IN ('text', 'json', 'jsonl', 'yaml')),
        timeout_seconds integer CHECK (timeout_seconds > 0),
        enabled boolean NOT NULL DEFAULT true`));
    await q.query(`CREATE INDEX actions_pack_id_idx ON actions (pack_id)`);
    await q.query(createTable('executions', `
        action bigint REFERENCES actions(id) ON DELETE SET NULL,
        action_ref text NOT NULL,
        config jsonb NOT NULL DEFAULT '{}',
        env_vars jsonb NOT NULL DEFAULT '{}',
        parent bigint REFERENCES executions(id) ON DELETE SET NULL,
        enforcement bigint,
        executor bigint REFERENCES identities(id) ON DELETE SET NULL,
        worker text,
        status text NOT NULL CHECK (status IN ('requested', 'scheduling', 'scheduled', 'running', 'completed',
          'failed', 'canceling', 'cancelled', 'timeout', 'abandoned')),
        result jsonb,
        timeout_seconds integer NOT NULL CHECK (timeout_seconds > 0),
        started_at timestamptz,
        finished_at timestamptz`));
    await q.query(`CREATE INDEX executions_created_idx ON executions (created DESC, id DESC)`);
    await q.query(`CREATE INDEX executions_action_ref_idx ON executions (action_ref, created DESC)`);
    await q.query(`CREATE INDEX executions_parent_idx ON executions (parent) WHERE parent IS NOT NULL`);
    // Only non-terminal executions are looked up by status and age (the executor's sweeps).
    await q.query(`CREATE INDEX executions_active_idx ON executions (status, updated)
      WHERE status IN ('requested', 'scheduling', 'scheduled', 'running', 'canceling')`);
    await q.query(createTable('workers', `
        name text NOT NULL UNIQUE,
        hostname text NOT NULL,
        pool text NOT NULL,
        runtimes text[] NOT NULL DEFAULT '{}',
        status text NOT NULL,
        running integer NOT NULL DEFAULT 0,
        capacity integer NOT NULL DEFAULT 1,
        last_heartbeat timestamptz NOT NULL`));
  }

  async down(q: QueryRunner): Promise<void> {
    await dropTables(q, 'workers', 'executions', 'actions', 'packs', 'identities');
  }
}
