import type { INestApplicationContext, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ensureDatabase, runMigrations } from '../src/data-source';
import { PersistenceModule } from '../src/persistence.module';

/**
 * The database of this lib's own tests, created and migrated. Other tests use libs/testing's
 * prepareTestDatabase; this lib's tests cannot (libs/testing depends on this lib, and Nx refuses
 * the cycle), so they name their database here: ATTUNE_TEST_DATABASE_URL, with `_<name>` appended
 * for a database of a suite's own, refused unless the name says `test`.
 */
export async function persistenceTestDatabase(name?: string): Promise<string> {
  const url = new URL(process.env.ATTUNE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/attune_test');
  if (name) url.pathname = `${url.pathname}_${name}`;
  if (!url.pathname.includes('test')) throw new Error(`refusing to run tests against database "${url.pathname.slice(1)}"`);
  await ensureDatabase(url.toString());
  await runMigrations({ url: url.toString() });
  return url.toString();
}

/** A Nest context holding `repositories` over the test database (or `url`). */
export async function openRepositories(repositories: Type[], url?: string): Promise<INestApplicationContext> {
  const moduleRef = await Test.createTestingModule({
    imports: [PersistenceModule.forRoot({ url: url ?? (await persistenceTestDatabase()), poolSize: 4 }), PersistenceModule.forFeature(repositories)],
  }).compile();
  return moduleRef.init();
}
