import type { QueryRunner } from 'typeorm';
import { createPackContentTable, createTable, dropTables } from './migration-sql';

// Migrations that have run replay these helpers on every fresh database: the SQL they return is
// pinned here, to the character, so that an edit which would change an applied migration fails.
describe('migration SQL', () => {
  it('creates a table with id, its columns, created and updated', () => {
    expect(createTable('things', `\n        name text NOT NULL`)).toBe(`
      CREATE TABLE things (
        id bigserial PRIMARY KEY,
        name text NOT NULL,
        created timestamptz NOT NULL DEFAULT now(),
        updated timestamptz NOT NULL DEFAULT now()
      )`);
  });

  it('leaves out updated for insert-only rows and puts `after` past the timestamps', () => {
    expect(createTable('marks', `\n        at integer`, { updated: false, after: `\n        UNIQUE (at)` })).toBe(`
      CREATE TABLE marks (
        id bigserial PRIMARY KEY,
        at integer,
        created timestamptz NOT NULL DEFAULT now(),
        UNIQUE (at)
      )`);
  });

  it('starts a pack-content table with ref, pack, label and description', () => {
    expect(createPackContentTable('sensors', `\n        enabled boolean`)).toBe(`
      CREATE TABLE sensors (
        id bigserial PRIMARY KEY,
        ref text NOT NULL UNIQUE,
        pack_id bigint NOT NULL REFERENCES packs(id) ON DELETE CASCADE,
        pack_ref text NOT NULL,
        label text NOT NULL,
        description text,
        enabled boolean,
        created timestamptz NOT NULL DEFAULT now(),
        updated timestamptz NOT NULL DEFAULT now()
      )`);
  });

  it('drops tables one statement each, in the order given', async () => {
    const statements: string[] = [];
    await dropTables({ query: async (sql: string) => statements.push(sql) } as unknown as QueryRunner, 'children', 'parents');
    expect(statements).toEqual(['DROP TABLE children', 'DROP TABLE parents']);
  });
});
