import { AmqpHealthIndicator, MessagingModule } from '@attune/messaging';
import { DatabaseHealthIndicator, PersistenceModule } from '@attune/persistence';
import { HealthModule, type Logger, loggerModule, MetricsModule, ROOT_LOGGER } from '@attune/service-kit';
import { type DynamicModule, Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { ExecutorConfig } from './config/executor.config';
import { ExecutionCancelConsumer } from './control/execution-cancel.consumer';
import { ExecutionCanceller } from './control/execution-canceller.service';
import { WorkerLossSweeper } from './control/worker-loss-sweeper.service';
import { ExecutionRecorder } from './recording/execution-recorder.service';
import { ExecutionResultsConsumer } from './recording/execution-results.consumer';
import { ExecutionRequestedConsumer } from './scheduling/execution-requested.consumer';
import { ExecutionScheduler } from './scheduling/execution-scheduler.service';
import { ExecutionSweeper } from './scheduling/execution-sweeper.service';
import { ExecutionTokenService } from './scheduling/execution-token.service';
import { EventCreatedConsumer } from './rules/event-created.consumer';
import { EventSweeper } from './rules/event-sweeper.service';
import { RuleEnforcer } from './rules/rule-enforcer.service';
import { TimerScheduler } from './rules/timer-scheduler.service';
import { WorkerHeartbeatConsumer } from './workers/worker-heartbeat.consumer';
import { DispatchPlanner } from './routing/dispatch-planner.service';
import { WaitingExecutions } from './routing/waiting-executions.service';

@Module({})
export class AppModule {
  static forRoot(config: ExecutorConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        loggerModule(logger),
        PersistenceModule.forRoot({ url: config.databaseUrl, poolSize: config.databasePoolSize, applicationName: 'attune-executor' }),
        MessagingModule.forRoot({ url: config.amqpUrl, namespace: config.amqpNamespace, service: 'executor', logger }),
        JwtModule.register({ secret: config.jwtSecret, signOptions: { algorithm: 'HS256' } }),
        HealthModule.forRoot('executor', [DatabaseHealthIndicator, AmqpHealthIndicator]),
        MetricsModule,
      ],
      controllers: [ExecutionRequestedConsumer, ExecutionResultsConsumer, WorkerHeartbeatConsumer, ExecutionCancelConsumer, EventCreatedConsumer],
      providers: [
        { provide: ExecutorConfig, useValue: config },
        { provide: ROOT_LOGGER, useValue: logger },
        ExecutionScheduler,
        ExecutionSweeper,
        ExecutionTokenService,
        DispatchPlanner,
        WaitingExecutions,
        ExecutionRecorder,
        ExecutionCanceller,
        WorkerLossSweeper,
        RuleEnforcer,
        EventSweeper,
        TimerScheduler,
      ],
    };
  }
}
