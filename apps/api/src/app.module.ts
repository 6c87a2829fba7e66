import { AmqpHealthIndicator, MessagingModule } from '@attune/messaging';
import { DatabaseHealthIndicator, PersistenceModule } from '@attune/persistence';
import { HealthModule, type Logger, loggerModule, ROOT_LOGGER } from '@attune/service-kit';
import { StorageHealthIndicator, StorageModule } from '@attune/storage';
import { type DynamicModule, Global, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ArtifactsModule } from './artifacts/artifacts.module';
import { AuthModule } from './auth/auth.module';
import { ApiExceptionFilter } from './common/api-exception.filter';
import { ApiConfig } from './config/api.config';
import { ExecutionCleanupController } from './executions/execution-cleanup.controller';
import { ExecutionCleanupService } from './executions/execution-cleanup.service';
import { ExecutionLogsController } from './executions/execution-logs.controller';
import { ExecutionsController } from './executions/executions.controller';
import { LogReader } from './executions/log-reader.service';
import { LogUploads } from './executions/log-uploads.service';
import { LogNotifier } from './executions/log-notifier.service';
import { ExecutionsService } from './executions/executions.service';
import { ParameterValidator } from './executions/parameter-validator';
import { RegistryModule } from './packs/registry.module';
import { WorkersController } from './workers/workers.controller';
import { WorkersService } from './workers/workers.service';
import { EnforcementsModule } from './enforcements/enforcements.module';
import { EventsModule } from './events/events.module';
import { RulesModule } from './rules/rules.module';
import { TriggersModule } from './triggers/triggers.module';
import { WebhooksModule } from './webhooks/webhooks.module';
import { WebUiModule } from './web/web-ui.module';
import { ExecutionWorkflowController } from './workflows/execution-workflow.controller';
import { WorkflowViewService } from './workflows/workflow-view.service';
import { WorkflowsModule } from './workflows/workflows.module';
import { KeysModule } from './keys/keys.module';
import { API_REPOSITORIES } from './repositories';
import { InquiriesModule } from './inquiries/inquiries.module';
import { PeriodicJobs } from './periodic-jobs';

@Global()
@Module({})
class ConfigModule {
  static forRoot(config: ApiConfig, logger: Logger): DynamicModule {
    return {
      module: ConfigModule,
      providers: [
        { provide: ApiConfig, useValue: config },
        { provide: ROOT_LOGGER, useValue: logger },
      ],
      exports: [ApiConfig, ROOT_LOGGER],
    };
  }
}

@Module({})
export class AppModule {
  static forRoot(config: ApiConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config, logger),
        loggerModule(logger),
        PersistenceModule.forRoot({ url: config.databaseUrl, poolSize: config.databasePoolSize, connectRetryMs: config.databaseConnectRetryMs, applicationName: 'attune-api' }),
        PersistenceModule.forFeature(API_REPOSITORIES),
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
        WorkflowsModule,
        WebUiModule,
        KeysModule,
        InquiriesModule,
      ],
      controllers: [ExecutionCleanupController, ExecutionsController, ExecutionLogsController, WorkersController, ExecutionWorkflowController],
      providers: [
        { provide: APP_FILTER, useClass: ApiExceptionFilter },
        ParameterValidator,
        ExecutionsService,
        ExecutionCleanupService,
        LogReader,
        LogUploads,
        LogNotifier,
        WorkflowViewService,
        PeriodicJobs,
        WorkersService,
      ],
    };
  }
}
