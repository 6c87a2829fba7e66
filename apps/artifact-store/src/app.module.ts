import { AmqpHealthIndicator, MessagingModule } from '@attune/messaging';
import { DatabaseHealthIndicator, PersistenceModule } from '@attune/persistence';
import { HealthModule, type Logger, loggerModule, MetricsModule, ROOT_LOGGER } from '@attune/service-kit';
import { StorageHealthIndicator, StorageModule } from '@attune/storage';
import { type DynamicModule, Module } from '@nestjs/common';
import { ArtifactsModule } from './artifacts/artifacts.module';
import { ArtifactStoreConfig } from './config/artifact-store.config';
import { LogsModule } from './logs/logs.module';
import { PeriodicJobs } from './periodic-jobs';
import { ARTIFACT_STORE_REPOSITORIES } from './repositories';

/**
 * Owns artifacts, their versions and the blobs in the bucket: answers the api's artifact
 * commands (request/reply on the bus), commits staged uploads, and runs the retention sweep, the
 * log chunk sweep and the integrity scrub (PeriodicJobs).
 */
@Module({})
export class AppModule {
  static forRoot(config: ArtifactStoreConfig, logger: Logger): DynamicModule {
    const artifacts = ArtifactsModule.forRoot(config, logger);
    return {
      module: AppModule,
      imports: [
        loggerModule(logger),
        PersistenceModule.forRoot({ url: config.databaseUrl, poolSize: config.databasePoolSize, connectRetryMs: config.databaseConnectRetryMs, applicationName: 'attune-artifact-store' }),
        PersistenceModule.forFeature(ARTIFACT_STORE_REPOSITORIES),
        MessagingModule.forRoot({ url: config.amqpUrl, namespace: config.amqpNamespace, service: 'artifact-store', logger }),
        StorageModule.forRoot(config.storage.toStorageConfig()),
        HealthModule.forRoot('artifact-store', [DatabaseHealthIndicator, AmqpHealthIndicator, StorageHealthIndicator]),
        MetricsModule,
        artifacts,
        LogsModule.forRoot(artifacts, logger, config),
      ],
      providers: [
        { provide: ArtifactStoreConfig, useValue: config },
        { provide: ROOT_LOGGER, useValue: logger },
        PeriodicJobs,
      ],
    };
  }
}
