import { type Logger, ROOT_LOGGER } from '@attune/service-kit';
import { type DynamicModule, Module } from '@nestjs/common';
import { ExecutionLogConsumer } from './execution-log.consumer';
import { LogFinalizeSweeper } from './log-finalize-sweeper.service';
import { LogRecorder } from './log-recorder.service';

/** Execution logs: chunks from workers, joined into each execution's log artifacts. */
@Module({})
export class LogsModule {
  /** `artifacts` is the app's ArtifactsModule instance (its services commit the log versions). */
  static forRoot(artifacts: DynamicModule, logger: Logger): DynamicModule {
    return {
      module: LogsModule,
      imports: [artifacts],
      controllers: [ExecutionLogConsumer],
      providers: [{ provide: ROOT_LOGGER, useValue: logger }, LogRecorder, LogFinalizeSweeper],
    };
  }
}
