import pg from 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { retryingPg } from './retrying-pg';
import { ActionEntity } from './entities/action.entity';
import { ExecutionEntity } from './entities/execution.entity';
import { IdentityEntity } from './entities/identity.entity';
import { PackEntity } from './entities/pack.entity';
import { PackVersionEntity } from './entities/pack-version.entity';
import { WorkerEntity } from './entities/worker.entity';
import { EnforcementEntity } from './entities/enforcement.entity';
import { EventEntity } from './entities/event.entity';
import { RuleEntity } from './entities/rule.entity';
import { TimerTickEntity } from './entities/timer-tick.entity';
import { TriggerEntity } from './entities/trigger.entity';
import { InitialSchema1763700000000 } from './migrations/1763700000000-initial-schema';
import { Registry1763800000000 } from './migrations/1763800000000-registry';
import { Artifacts1763900000000 } from './migrations/1763900000000-artifacts';
import { Rules1764000000000 } from './migrations/1764000000000-rules';
import { ExecutionControl1764100000000 } from './migrations/1764100000000-execution-control';
import { ExecutionLogs1764200000000 } from './migrations/1764200000000-execution-logs';
import { BlobStorageKeys1764300000000 } from './migrations/1764300000000-blob-storage-keys';
import { LogUploads1765000000000 } from './migrations/1765000000000-log-uploads';
import { CaseInsensitiveLogins1765100000000 } from './migrations/1765100000000-case-insensitive-logins';
import { RefreshTokens1765100010000 } from './migrations/1765100010000-refresh-tokens';
import { SecretParameters1765200000000 } from './migrations/1765200000000-secret-parameters';
import { ArtifactIntegrity1765300000000 } from './migrations/1765300000000-artifact-integrity';
import { CompatFields1765400000000 } from './migrations/1765400000000-compat-fields';
import { WorkflowTask1765500000000 } from './migrations/1765500000000-workflow-task';
import { WorkflowEngine1765510000000 } from './migrations/1765510000000-workflow-engine';
import { WorkflowRuntime1765511000000 } from './migrations/1765511000000-workflow-runtime';
import { TaskArtifacts1765600000000 } from './migrations/1765600000000-task-artifacts';
import { DatastoreInquiries1765700000000 } from './migrations/1765700000000-datastore-inquiries';
import { ApiKeys1765800000000 } from './migrations/1765800000000-api-keys';
import { ListIndexes1765900000000 } from './migrations/1765900000000-list-indexes';
import { WorkflowActiveTaskRuns1766000000000 } from './migrations/1766000000000-workflow-active-task-runs';

// Ids are bigint columns. pg hands int8 back as strings; every id we issue fits in 2^53, so
// parse them as numbers once here rather than at every use.
pg.types.setTypeParser(pg.types.builtins.INT8, (v: string) => Number.parseInt(v, 10));

/** Entities and migrations are listed as classes (no globs) so bundles and jest load the same set. */
export const ENTITIES = [IdentityEntity, PackEntity, PackVersionEntity, ActionEntity, ExecutionEntity, WorkerEntity,
  TriggerEntity, RuleEntity, EventEntity, EnforcementEntity, TimerTickEntity];
export const MIGRATIONS = [
  InitialSchema1763700000000,
  Registry1763800000000,
  Artifacts1763900000000,
  Rules1764000000000,
  ExecutionControl1764100000000,
  ExecutionLogs1764200000000,
  BlobStorageKeys1764300000000,
  LogUploads1765000000000,
  CaseInsensitiveLogins1765100000000,
  RefreshTokens1765100010000,
  SecretParameters1765200000000,
  ArtifactIntegrity1765300000000,
  CompatFields1765400000000,
  WorkflowTask1765500000000,
  WorkflowEngine1765510000000,
  WorkflowRuntime1765511000000,
  TaskArtifacts1765600000000,
  DatastoreInquiries1765700000000,
  ApiKeys1765800000000,
  ListIndexes1765900000000,
  WorkflowActiveTaskRuns1766000000000,
];

export interface DatabaseOptions {
  url: string;
  /** Connection pool size of this process. */
  poolSize?: number;
  applicationName?: string;
  /** How long taking a connection is retried while the database cannot be reached (retrying-pg.ts). */
  connectRetryMs?: number;
}

/** Default of connectRetryMs: rides over a restart of about a second with room to spare. */
export const DEFAULT_CONNECT_RETRY_MS = 3000;

export function dataSourceOptions(opts: DatabaseOptions): DataSourceOptions {
  return {
    type: 'postgres',
    url: opts.url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    driver: retryingPg(opts.connectRetryMs ?? DEFAULT_CONNECT_RETRY_MS),
    extra: {
      max: opts.poolSize ?? 10,
      application_name: opts.applicationName ?? 'attune',
      connectionTimeoutMillis: 5000,
    },
  };
}

/** Creates the database named in `url` when it does not exist yet (first start on a machine). */
export async function ensureDatabase(url: string): Promise<boolean> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`unsupported database name "${name}"`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return false;
    await client.query(`CREATE DATABASE "${name}"`);
    return true;
  } finally {
    await client.end();
  }
}

/** Applies every pending migration; answers the names of those applied. */
export async function runMigrations(opts: DatabaseOptions): Promise<string[]> {
  const ds = new DataSource(dataSourceOptions({ ...opts, poolSize: 1, applicationName: 'attune-migrate' }));
  await ds.initialize();
  try {
    const applied = await ds.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await ds.destroy();
  }
}
