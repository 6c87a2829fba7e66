import { Module } from '@nestjs/common';
import { ArtifactDownloads } from './artifact-downloads.service';
import { ArtifactUploads } from './artifact-uploads.service';
import { ArtifactsController } from './artifacts.controller';
import { ArtifactsService } from './artifacts.service';
import { ExecutionArtifactsController } from './execution-artifacts.controller';

/** The artifacts API and the execution links (artifacts, manifest). */
@Module({
  controllers: [ArtifactsController, ExecutionArtifactsController],
  providers: [ArtifactsService, ArtifactUploads, ArtifactDownloads],
  exports: [ArtifactsService],
})
export class ArtifactsModule {}
