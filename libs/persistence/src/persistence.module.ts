import { Global, Injectable, Module, type DynamicModule } from '@nestjs/common';
import { InjectDataSource, TypeOrmModule } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { dataSourceOptions, ENTITIES, type DatabaseOptions } from './data-source';
import { ActionRepository, PackRepository } from './repositories/action.repository';
import { ArtifactRepository } from './repositories/artifact.repository';
import { ExecutionRepository } from './repositories/execution.repository';
import { ExecutionLogRepository } from './repositories/execution-log.repository';
import { IdentityRepository } from './repositories/identity.repository';
import { PackRegistryRepository } from './repositories/pack-registry.repository';
import { WorkerRepository } from './repositories/worker.repository';
import { EnforcementRepository } from './repositories/enforcement.repository';
import { EventRepository } from './repositories/event.repository';
import { RuleRepository } from './repositories/rule.repository';
import { RefreshTokenRepository } from './repositories/refresh-token.repository';
import { TimerTickRepository } from './repositories/timer-tick.repository';
import { TriggerRepository } from './repositories/trigger.repository';

@Injectable()
export class DatabaseHealthIndicator {
  readonly name = 'database';
  constructor(@InjectDataSource() private readonly ds: DataSource) {}
  async check(): Promise<void> {
    await this.ds.query('SELECT 1');
  }
}

const REPOSITORIES = [ExecutionRepository, ExecutionLogRepository, ActionRepository, PackRepository, PackRegistryRepository, IdentityRepository, WorkerRepository, ArtifactRepository,
  TriggerRepository, RuleRepository, EventRepository, EnforcementRepository, TimerTickRepository,
  RefreshTokenRepository];

@Global()
@Module({})
export class PersistenceModule {
  static forRoot(opts: DatabaseOptions): DynamicModule {
    return {
      module: PersistenceModule,
      imports: [
        TypeOrmModule.forRoot({ ...dataSourceOptions(opts), retryAttempts: 3, retryDelay: 1000 }),
        TypeOrmModule.forFeature(ENTITIES),
      ],
      providers: [...REPOSITORIES, DatabaseHealthIndicator],
      exports: [...REPOSITORIES, DatabaseHealthIndicator, TypeOrmModule],
    };
  }
}
