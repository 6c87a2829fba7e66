import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src';
import { persistenceTestDatabase } from './support';
import { CompatFields1765400000000 } from '../src/migrations/1765400000000-compat-fields';

// On a database of its own (it reverts a migration). CompatFields1765400000000 reverts cleanly and applies again: columns go and come back, and the
// id sequences lose and regain their cap.
describe('migration CompatFields1765400000000', () => {
  let ds: DataSource;

  beforeAll(async () => {
    ds = new DataSource(dataSourceOptions({ url: await persistenceTestDatabase('compat_migration') }));
    await ds.initialize();
  });

  afterAll(async () => {
    await ds?.destroy();
  });

  const maxOf = async (seq: string) =>
    String((await ds.query(`SELECT max_value::text AS max_value FROM pg_sequences WHERE sequencename = $1`, [seq]))[0].max_value);
  const hasColumn = async (table: string, column: string) =>
    (await ds.query(`SELECT 1 FROM information_schema.columns WHERE table_name = $1 AND column_name = $2`, [table, column])).length === 1;

  it('caps the id sequences at 2^53 - 1 and adds the Attune columns; down undoes both', async () => {
    expect(await maxOf('executions_id_seq')).toBe('9007199254740991');
    expect(await hasColumn('packs', 'conf_schema')).toBe(true);
    expect(await hasColumn('actions', 'is_adhoc')).toBe(true);
    // Its own down and up, whatever migrations come after it.
    const migration = new CompatFields1765400000000();
    const runner = ds.createQueryRunner();
    try {
      await migration.down(runner);
      try {
        expect(await maxOf('executions_id_seq')).toBe('9223372036854775807');
        expect(await hasColumn('packs', 'conf_schema')).toBe(false);
        expect(await hasColumn('actions', 'is_adhoc')).toBe(false);
      } finally {
        await migration.up(runner);
      }
    } finally {
      await runner.release();
    }
    expect(await maxOf('executions_id_seq')).toBe('9007199254740991');
    expect(await hasColumn('packs', 'tags')).toBe(true);
  });
});
