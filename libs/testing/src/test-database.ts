import { ensureDatabase, runMigrations } from '@attune/persistence';

/**
 * Test settings come from the environment so CI can point them elsewhere. Every test tier shares
 * this one guard against touching a non-test database (libs/persistence's own tests, which cannot
 * import this lib, apply the same rule in their support file).
 */
export function testDatabaseUrl(database?: string): string {
  let url = process.env.ATTUNE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/attune_test';
  if (database) {
    // Another database on the same server, e.g. for a suite whose background work (timers)
    // must not meet the platforms other suites run against the shared one. It is named after
    // the configured one (`<base>_<database>`), so checkouts with their own test database
    // never share a suite's database either.
    const other = new URL(url);
    other.pathname = `/${other.pathname.slice(1)}_${database}`;
    url = other.toString();
  }
  const name = new URL(url).pathname.slice(1);
  if (!name.includes('test')) {
    throw new Error(`refusing to run tests against database "${name}": its name must contain "test"`);
  }
  return url;
}

export function testAmqpUrl(): string {
  return process.env.ATTUNE_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
}

/** Creates the test database when missing and applies the real migrations. */
export async function prepareTestDatabase(database?: string): Promise<string> {
  const url = testDatabaseUrl(database);
  await ensureDatabase(url);
  await runMigrations({ url });
  return url;
}

/** A namespace of its own for each test run, so runs never see each other's messages. */
export function uniqueNamespace(prefix = 't'): string {
  return `${prefix}${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}
