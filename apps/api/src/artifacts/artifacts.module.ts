import { Module } from '@nestjs/common';
import { ArtifactDownloads } from './artifact-downloads.service';
import { ArtifactUploads } from './artifact-uploads.service';
import { ArtifactsController } from './artifacts.controller';
import { ArtifactsService } from './artifacts.service';
import { DirectTransfersController } from './direct-transfers.controller';
import { DirectTransfers } from './direct-transfers.service';
import { ExecutionArtifactsController } from './execution-artifacts.controller';
import { ExecutionArtifacts } from './execution-artifacts.service';

/** The artifacts API and the execution links (artifacts, manifest). */
@Module({
  controllers: [ArtifactsController, DirectTransfersController, ExecutionArtifactsController],
  providers: [ArtifactsService, ArtifactUploads, ArtifactDownloads, DirectTransfers, ExecutionArtifacts],
  exports: [ArtifactsService],
})
export class ArtifactsModule {}
