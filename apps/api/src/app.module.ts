import { AmqpHealthIndicator, MessagingModule } from '@attune/messaging';
import { DatabaseHealthIndicator, PersistenceModule } from '@attune/persistence';
import { HealthModule, type Logger, loggerModule } from '@attune/service-kit';
import { StorageHealthIndicator, StorageModule } from '@attune/storage';
import { type DynamicModule, Global, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ArtifactsModule } from './artifacts/artifacts.module';
import { AuthModule } from './auth/auth.module';
import { ApiExceptionFilter } from './common/api-exception.filter';
import { ApiConfig } from './config/api.config';
import { ExecutionLogsController } from './executions/execution-logs.controller';
import { ExecutionsController } from './executions/executions.controller';
import { LogReader } from './executions/log-reader.service';
import { LogUploads } from './executions/log-uploads.service';
import { LogNotifier } from './executions/log-notifier.service';
import { ExecutionsService } from './executions/executions.service';
import { ParameterValidator } from './executions/parameter-validator';
import { RegistryModule } from './packs/registry.module';
import { WorkersController } from './workers/workers.controller';
import { EnforcementsModule } from './enforcements/enforcements.module';
import { EventsModule } from './events/events.module';
import { RulesModule } from './rules/rules.module';
import { TriggersModule } from './triggers/triggers.module';
import { WebhooksModule } from './webhooks/webhooks.module';
import { WebUiModule } from './web/web-ui.module';

@Global()
@Module({})
class ConfigModule {
  static forRoot(config: ApiConfig): DynamicModule {
    return { module: ConfigModule, providers: [{ provide: ApiConfig, useValue: config }], exports: [ApiConfig] };
  }
}

@Module({})
export class AppModule {
  static forRoot(config: ApiConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        loggerModule(logger),
        PersistenceModule.forRoot({ url: config.databaseUrl, poolSize: config.databasePoolSize, applicationName: 'attune-api' }),
        MessagingModule.forRoot({ url: config.amqpUrl, namespace: config.amqpNamespace, service: 'api', logger }),
        StorageModule.forRoot(config.storage.toStorageConfig()),
        HealthModule.forRoot('api', [DatabaseHealthIndicator, AmqpHealthIndicator, StorageHealthIndicator]),
        // /metrics is served by AuthModule's MetricsController: on the public port it needs a token.
        AuthModule,
        RegistryModule,
        ArtifactsModule,
        TriggersModule,
        RulesModule,
        EventsModule,
        EnforcementsModule,
        WebhooksModule,
        WebUiModule,
      ],
      controllers: [ExecutionsController, ExecutionLogsController, WorkersController],
      providers: [
        { provide: APP_FILTER, useClass: ApiExceptionFilter },
        ParameterValidator,
        ExecutionsService,
        LogReader,
        LogUploads,
        LogNotifier,
      ],
    };
  }
}
