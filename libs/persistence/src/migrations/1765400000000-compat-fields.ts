import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Largest id this platform issues: the largest integer a JSON number (a double) holds exactly. */
const MAX_ISSUED_ID = '9007199254740991';

/**
 * Attune compatibility.
 * - Packs keep what Attune packs declare in pack.yaml (or POST /packs): conf_schema, config,
 *   meta, tags, runtime_deps, dependencies. Stored as written (jsonb), answered unchanged.
 * - Actions record whether they were created over the API (`is_adhoc`, as Attune reports) rather
 *   than registered from a pack archive.
 * - Every id sequence stops at 2^53 - 1. Ids travel as JSON numbers and are read into
 *   JavaScript numbers, exact only up to there; capping the sequences makes that an invariant of
 *   the database instead of an assumption (nextval fails loudly rather than issue an id that
 *   would be rounded), and lets the api answer 404 at once for a valid bigint above it.
 */
export class CompatFields1765400000000 implements MigrationInterface {
  name = 'CompatFields1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE packs
      ADD COLUMN conf_schema jsonb NOT NULL DEFAULT '{}'::jsonb,
      ADD COLUMN config jsonb NOT NULL DEFAULT '{}'::jsonb,
      ADD COLUMN meta jsonb NOT NULL DEFAULT '{}'::jsonb,
      ADD COLUMN tags jsonb NOT NULL DEFAULT '[]'::jsonb,
      ADD COLUMN runtime_deps jsonb NOT NULL DEFAULT '[]'::jsonb,
      ADD COLUMN dependencies jsonb NOT NULL DEFAULT '[]'::jsonb`);
    await q.query(`ALTER TABLE actions ADD COLUMN is_adhoc boolean NOT NULL DEFAULT false`);
    for (const name of await this.sequences(q)) {
      await q.query(`ALTER SEQUENCE ${name} MAXVALUE ${MAX_ISSUED_ID}`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const name of await this.sequences(q)) {
      await q.query(`ALTER SEQUENCE ${name} NO MAXVALUE`);
    }
    await q.query(`ALTER TABLE actions DROP COLUMN is_adhoc`);
    await q.query(`ALTER TABLE packs DROP COLUMN conf_schema, DROP COLUMN config, DROP COLUMN meta,
      DROP COLUMN tags, DROP COLUMN runtime_deps, DROP COLUMN dependencies`);
  }

  /** The bigint sequences of this schema, quoted for use in SQL. */
  private async sequences(q: QueryRunner): Promise<string[]> {
    const rows: Array<{ name: string }> = await q.query(
      `SELECT quote_ident(sequence_schema) || '.' || quote_ident(sequence_name) AS name
         FROM information_schema.sequences
        WHERE sequence_schema = current_schema() AND data_type = 'bigint'
        ORDER BY sequence_name`,
    );
    return rows.map((r) => r.name);
  }
}
