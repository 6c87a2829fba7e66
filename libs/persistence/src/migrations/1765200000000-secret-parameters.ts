import type { MigrationInterface, QueryRunner } from 'typeorm';

const TERMINAL = `('completed', 'failed', 'cancelled', 'timeout', 'abandoned')`;

/**
 * Secret parameters leave `config`. From now on an execution's `config` holds the mask
 * `"********"` for each parameter its action marks `secret: true`, and the values are kept in
 * `secret_parameters`, encrypted (AES-256-GCM) with a key from configuration (ParameterSecrets).
 *
 * Rows from before hold secrets in plain text. Those of finished executions and all enforcements
 * are masked here (the values are no longer needed); an execution still waiting or running keeps
 * its value so it can still run, and is masked by nothing: rerun this masking after it ends if
 * that matters (docs/security.md).
 */
export class SecretParameters1765200000000 implements MigrationInterface {
  name = 'SecretParameters1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE executions ADD COLUMN secret_parameters text`);
    await q.query(
      `UPDATE executions e
          SET config = e.config || (SELECT jsonb_object_agg(k, '"********"'::jsonb) FROM jsonb_object_keys(e.config) k
                                     WHERE a.param_schema->'properties'->k->>'secret' = 'true')
         FROM actions a
        WHERE a.id = e.action AND e.status IN ${TERMINAL} AND jsonb_typeof(e.config) = 'object'
          AND EXISTS (SELECT 1 FROM jsonb_object_keys(e.config) k WHERE a.param_schema->'properties'->k->>'secret' = 'true')`,
    );
    await q.query(
      `UPDATE enforcements n
          SET config = n.config || (SELECT jsonb_object_agg(k, '"********"'::jsonb) FROM jsonb_object_keys(n.config) k
                                     WHERE a.param_schema->'properties'->k->>'secret' = 'true')
         FROM rules r JOIN actions a ON a.id = r.action
        WHERE r.id = n.rule AND n.config IS NOT NULL AND jsonb_typeof(n.config) = 'object'
          AND EXISTS (SELECT 1 FROM jsonb_object_keys(n.config) k WHERE a.param_schema->'properties'->k->>'secret' = 'true')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    // Values sealed since `up` cannot be put back into `config` without the key: executions not
    // yet run lose their secret parameters. Masked values stay masked.
    await q.query(`ALTER TABLE executions DROP COLUMN secret_parameters`);
  }
}
