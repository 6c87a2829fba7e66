import { type Logger, ROOT_LOGGER } from '@attune/service-kit';
import { type DynamicModule, Module } from '@nestjs/common';
import { ArtifactStoreConfig } from '../config/artifact-store.config';
import { ExecutionLogConsumer } from './execution-log.consumer';
import { LogChunkSweeper } from './log-chunk-sweeper.service';
import { LogRecorder } from './log-recorder.service';

/** Execution logs: live chunks from workers, and the whole logs they store as each execution's log artifacts. */
@Module({})
export class LogsModule {
  /** `artifacts` is the app's ArtifactsModule instance (its services commit the log versions). */
  static forRoot(artifacts: DynamicModule, logger: Logger, config: ArtifactStoreConfig): DynamicModule {
    return {
      module: LogsModule,
      imports: [artifacts],
      controllers: [ExecutionLogConsumer],
      providers: [{ provide: ROOT_LOGGER, useValue: logger }, { provide: ArtifactStoreConfig, useValue: config }, LogRecorder, LogChunkSweeper],
      exports: [LogChunkSweeper],
    };
  }
}
