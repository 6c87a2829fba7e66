import { AmqpHealthIndicator, MessagingModule } from '@attune/messaging';
import { HealthModule, type Logger, loggerModule, MetricsModule, ROOT_LOGGER } from '@attune/service-kit';
import { type DynamicModule, Module } from '@nestjs/common';
import { WorkerConfig } from './config/worker.config';
import { HeartbeatService } from './heartbeat/heartbeat.service';
import { CancelListener } from './runner/cancel-listener.service';
import { DispatchConsumer } from './runner/dispatch.consumer';
import { DispatchDecider } from './runner/dispatch-decider.service';
import { ExecutionResolver } from './runner/execution-resolver.service';
import { ExecutionRunner } from './runner/execution-runner.service';
import { RunIdentities } from './runner/run-identity';
import { TaskArtifacts } from './artifacts/task-artifacts.service';
import { PackCache } from './packs/pack-cache.service';
import { PackEnvironments } from './packs/pack-environment.service';

/** Workers hold no database connection: everything they need arrives in the dispatch. */
@Module({})
export class AppModule {
  static forRoot(config: WorkerConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        loggerModule(logger),
        MessagingModule.forRoot({ url: config.amqpUrl, namespace: config.amqpNamespace, service: 'worker', logger }),
        HealthModule.forRoot('worker', [AmqpHealthIndicator]),
        MetricsModule,
      ],
      controllers: [DispatchConsumer],
      providers: [
        { provide: WorkerConfig, useValue: config },
        { provide: ROOT_LOGGER, useValue: logger },
        DispatchDecider,
        ExecutionResolver,
        ExecutionRunner,
        RunIdentities,
        PackCache,
        TaskArtifacts,
        PackEnvironments,
        HeartbeatService,
        CancelListener,
      ],
    };
  }
}
