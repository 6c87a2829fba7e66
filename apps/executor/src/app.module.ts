import { AmqpHealthIndicator, busOptions, MessagingModule } from '@attune/messaging';
import { DatabaseHealthIndicator, PersistenceModule } from '@attune/persistence';
import { HealthModule, type Logger, loggerModule, MetricsModule, ROOT_LOGGER } from '@attune/service-kit';
import { type DynamicModule, Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { createSecretKey } from 'node:crypto';
import { ExecutorConfig } from './config/executor.config';
import { ExecutionCancelConsumer } from './control/execution-cancel.consumer';
import { ExecutionCanceller } from './control/execution-canceller.service';
import { WorkerLossSweeper } from './control/worker-loss-sweeper.service';
import { ExecutionRecorder } from './recording/execution-recorder.service';
import { ExecutionResultsConsumer } from './recording/execution-results.consumer';
import { ExecutionRequestedConsumer } from './scheduling/execution-requested.consumer';
import { ExecutionScheduler } from './scheduling/execution-scheduler.service';
import { ExecutionTokenService } from './scheduling/execution-token.service';
import { EventCreatedConsumer } from './rules/event-created.consumer';
import { RuleEnforcer } from './rules/rule-enforcer.service';
import { TimerScheduler } from './rules/timer-scheduler.service';
import { WorkerHeartbeatConsumer } from './workers/worker-heartbeat.consumer';
import { DispatchPlanner } from './routing/dispatch-planner.service';
import { WaitingExecutions } from './routing/waiting-executions.service';
import { ExecutionEndings } from './workflows/execution-endings';
import { WorkflowHooks } from './workflows/workflow-hooks';
import { WorkflowEngine } from './workflows/workflow-engine.service';
import { WorkflowSweeper } from './workflows/workflow-sweeper.service';
import { InquiryResponseConsumer } from './inquiries/inquiry-response.consumer';
import { InquiryService } from './inquiries/inquiry.service';
import { KeyRepository, KeystoreReader } from '@attune/persistence';
import { ExecutionCleanupConsumer } from './retention/execution-cleanup.consumer';
import { RunRetention } from './retention/run-retention.service';
import { EXECUTOR_REPOSITORIES } from './repositories';
import { PeriodicJobs } from './periodic-jobs';

@Module({})
export class AppModule {
  static forRoot(config: ExecutorConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        loggerModule(logger),
        PersistenceModule.forRoot({ url: config.databaseUrl, poolSize: config.databasePoolSize, connectRetryMs: config.databaseConnectRetryMs, applicationName: 'attune-executor' }),
        PersistenceModule.forFeature(EXECUTOR_REPOSITORIES),
        MessagingModule.forRoot(busOptions(config, 'executor', logger)),
        // A key object made once: given the secret as a string, jsonwebtoken builds one on every
        // sign (≈ 1 ms each, two tokens per dispatch).
        JwtModule.register({ secret: createSecretKey(Buffer.from(config.jwtSecret)), signOptions: { algorithm: 'HS256' } }),
        HealthModule.forRoot('executor', [DatabaseHealthIndicator, AmqpHealthIndicator]),
        MetricsModule,
      ],
      controllers: [
        ExecutionRequestedConsumer,
        ExecutionResultsConsumer,
        WorkerHeartbeatConsumer,
        ExecutionCancelConsumer,
        EventCreatedConsumer,
        InquiryResponseConsumer,
        ExecutionCleanupConsumer,
      ],
      providers: [
        { provide: ExecutorConfig, useValue: config },
        { provide: ROOT_LOGGER, useValue: logger },
        ExecutionScheduler,
        ExecutionTokenService,
        DispatchPlanner,
        WaitingExecutions,
        ExecutionRecorder,
        ExecutionCanceller,
        WorkerLossSweeper,
        RuleEnforcer,
        TimerScheduler,
        ExecutionEndings,
        WorkflowHooks,
        WorkflowEngine,
        WorkflowSweeper,
        InquiryService,
        // The `keystore` template scope, for rules (RuleEnforcer) and workflows.
        { provide: KeystoreReader, useFactory: (keys: KeyRepository) => new KeystoreReader(keys, config.secretsKey), inject: [KeyRepository] },
        RunRetention,
        PeriodicJobs,
      ],
    };
  }
}
