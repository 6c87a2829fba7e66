import { type DynamicModule, Module } from '@nestjs/common';
import { ROOT_LOGGER, type Logger } from '@attune/service-kit';
import { ArtifactStoreConfig } from '../config/artifact-store.config';
import { BlobScrubber } from '../integrity/blob-scrubber.service';
import { ArtifactCleanup } from '../retention/artifact-cleanup.service';
import { ExecutionLogsPurger } from '../retention/execution-logs-purger.service';
import { BlobCollector } from '../retention/blob-collector.service';
import { RetentionSweeper } from '../retention/retention-sweeper.service';
import { VersionRetention } from '../retention/version-retention.service';
import { ArtifactCommandsConsumer } from './artifact-commands.consumer';
import { ArtifactService } from './artifact.service';
import { DirectCommitConsumer } from './direct-commit.consumer';
import { VersionCommitter } from './version-committer.service';

const SERVICES = [ArtifactService, VersionCommitter, BlobCollector, ArtifactCleanup, RetentionSweeper, BlobScrubber, ExecutionLogsPurger, VersionRetention];

/**
 * Artifacts, versions and blobs: the commands from the api, the commit of staged uploads, and
 * retention. Needs the global persistence, storage and messaging modules.
 */
@Module({})
export class ArtifactsModule {
  static forRoot(config: ArtifactStoreConfig, logger: Logger): DynamicModule {
    return {
      module: ArtifactsModule,
      controllers: [ArtifactCommandsConsumer, DirectCommitConsumer],
      providers: [{ provide: ArtifactStoreConfig, useValue: config }, { provide: ROOT_LOGGER, useValue: logger }, ...SERVICES],
      exports: SERVICES,
    };
  }
}
