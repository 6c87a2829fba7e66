import 'reflect-metadata';
import { ensureDatabase, runMigrations } from '@attune/persistence';
import { runMain } from '@attune/service-kit';
import { MigrateConfig } from './config/api.config';

/**
 * `npm run migrate` (and the `migrate` one-shot in docker compose): creates the database when
 * missing and applies pending migrations, then exits. Services never migrate on their own.
 */
runMain('migrate', async () => {
  const config = MigrateConfig.fromEnv();
  if (await ensureDatabase(config.databaseUrl)) process.stdout.write('migrate: created the database\n');
  const applied = await runMigrations({ url: config.databaseUrl });
  process.stdout.write(applied.length ? `migrate: applied ${applied.join(', ')}\n` : 'migrate: schema is up to date\n');
});
