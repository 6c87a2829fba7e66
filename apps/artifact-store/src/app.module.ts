import { AmqpHealthIndicator, MessagingModule } from '@attune/messaging';
import { DatabaseHealthIndicator, PersistenceModule } from '@attune/persistence';
import { HealthModule, type Logger, loggerModule, MetricsModule, ROOT_LOGGER } from '@attune/service-kit';
import { StorageHealthIndicator, StorageModule } from '@attune/storage';
import { type DynamicModule, Module } from '@nestjs/common';
import { ArtifactStoreConfig } from './config/artifact-store.config';

/**
 * Owns artifacts, their versions and the blobs in the bucket. This foundation wires its
 * dependencies (database, broker, blob store) and their health; artifact commands arrive
 * with the artifact feature.
 */
@Module({})
export class AppModule {
  static forRoot(config: ArtifactStoreConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        loggerModule(logger),
        PersistenceModule.forRoot({ url: config.databaseUrl, poolSize: config.databasePoolSize, applicationName: 'attune-artifact-store' }),
        MessagingModule.forRoot({ url: config.amqpUrl, namespace: config.amqpNamespace, service: 'artifact-store', logger }),
        StorageModule.forRoot(config.storage.toStorageConfig()),
        HealthModule.forRoot('artifact-store', [DatabaseHealthIndicator, AmqpHealthIndicator, StorageHealthIndicator]),
        MetricsModule,
      ],
      providers: [
        { provide: ArtifactStoreConfig, useValue: config },
        { provide: ROOT_LOGGER, useValue: logger },
      ],
    };
  }
}
