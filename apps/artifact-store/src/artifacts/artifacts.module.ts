import { Module } from '@nestjs/common';
import { ArtifactCleanup } from '../retention/artifact-cleanup.service';
import { BlobCollector } from '../retention/blob-collector.service';
import { RetentionSweeper } from '../retention/retention-sweeper.service';
import { ArtifactCommandsConsumer } from './artifact-commands.consumer';
import { ArtifactService } from './artifact.service';
import { VersionCommitter } from './version-committer.service';

/**
 * Artifacts, versions and blobs: the commands from the api, the commit of staged uploads, and
 * retention. Needs the global persistence, storage and messaging modules, ArtifactStoreConfig
 * and ROOT_LOGGER from the app module.
 */
@Module({
  controllers: [ArtifactCommandsConsumer],
  providers: [ArtifactService, VersionCommitter, BlobCollector, ArtifactCleanup, RetentionSweeper],
  exports: [ArtifactService, VersionCommitter, BlobCollector, ArtifactCleanup, RetentionSweeper],
})
export class ArtifactsModule {}
