import type { QueryRunner } from 'typeorm';

/**
 * SQL the migrations share: the usual table (a bigserial `id`, its own columns, `created` and
 * `updated`) and dropping tables.
 *
 * A migration that has run must go on doing exactly what it did (TypeORM records migrations by
 * name only, and fresh databases replay them), so these must keep returning the SQL they return
 * now: a new convention gets a new function, never an edit of one of these.
 */

export interface TableOptions {
  /** Whether rows carry `updated` after `created` (false for rows that are only ever inserted). */
  updated?: boolean;
  /** Columns and constraints that come after the timestamps, laid out like `columns`. */
  after?: string;
}

/**
 * `CREATE TABLE name (...)` for a table keyed by a bigserial `id`: `id`, then `columns` (a
 * template string, each column on a line of its own, no trailing comma), then `created` and,
 * unless `updated: false`, `updated` (both now() by default), then `after`.
 */
export function createTable(name: string, columns: string, { updated = true, after }: TableOptions = {}): string {
  const timestamps = ['created timestamptz NOT NULL DEFAULT now()', ...(updated ? ['updated timestamptz NOT NULL DEFAULT now()'] : [])];
  return `
      CREATE TABLE ${name} (
        id bigserial PRIMARY KEY,${columns},
        ${timestamps.join(',\n        ')}${after ? `,${after}` : ''}
      )`;
}

/**
 * The columns of what a pack declares by ref (actions, triggers, rules: see PackContentEntity),
 * which such a table has first after its id.
 */
const PACK_CONTENT_COLUMNS = `
        ref text NOT NULL UNIQUE,
        pack_id bigint NOT NULL REFERENCES packs(id) ON DELETE CASCADE,
        pack_ref text NOT NULL,
        label text NOT NULL,
        description text`;

/** createTable for a table of pack content: the pack-content columns, then `columns`. */
export function createPackContentTable(name: string, columns: string, options?: TableOptions): string {
  return createTable(name, `${PACK_CONTENT_COLUMNS},${columns}`, options);
}

/** Drops `tables` one statement each, in the order given (dependents first). */
export async function dropTables(q: QueryRunner, ...tables: string[]): Promise<void> {
  for (const table of tables) await q.query(`DROP TABLE ${table}`);
}
