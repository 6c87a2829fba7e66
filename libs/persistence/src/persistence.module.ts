import { Injectable, Module, type DynamicModule, type Type } from '@nestjs/common';
import { InjectDataSource, TypeOrmModule } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { dataSourceOptions, ENTITIES, type DatabaseOptions } from './data-source';
import type { RetryingPool } from './retrying-pg';

@Injectable()
export class DatabaseHealthIndicator {
  readonly name = 'database';
  constructor(@InjectDataSource() private readonly ds: DataSource) {}
  /** One connect without the retries requests get, so /health says `database: down` at once. */
  async check(): Promise<void> {
    const pool = (this.ds.driver as unknown as { master?: Partial<RetryingPool> }).master;
    if (!pool?.connectOnce) {
      await this.ds.query('SELECT 1');
      return;
    }
    const client = await pool.connectOnce();
    try {
      await client.query('SELECT 1');
      client.release();
    } catch (err) {
      client.release(err as Error);
      throw err;
    }
  }
}

/**
 * The database of a service. `forRoot` opens the connection (the DataSource, the TypeORM entity
 * repositories and the health indicator, for the whole app); `forFeature` provides the
 * repositories an app uses. Each service declares its repositories once, at its root, so what it
 * may touch is written in one place (docs/architecture.md, "Who owns which tables"): a repository an
 * app does not declare cannot be injected there.
 */
@Module({})
export class PersistenceModule {
  static forRoot(opts: DatabaseOptions): DynamicModule {
    return {
      module: PersistenceModule,
      global: true,
      imports: [TypeOrmModule.forRoot({ ...dataSourceOptions(opts), retryAttempts: 3, retryDelay: 1000 }), TypeOrmModule.forFeature(ENTITIES)],
      providers: [DatabaseHealthIndicator],
      exports: [DatabaseHealthIndicator, TypeOrmModule],
    };
  }

  /** The given repositories, for every module of the app. */
  static forFeature(repositories: Type[]): DynamicModule {
    return { module: PersistenceFeatureModule, global: true, providers: repositories, exports: repositories };
  }
}

@Module({})
class PersistenceFeatureModule {}
