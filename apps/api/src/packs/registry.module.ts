import { Module } from '@nestjs/common';
import { ActionsController } from '../actions/actions.controller';
import { ActionsService } from '../actions/actions.service';
import { PackArchivesController } from './pack-archives.controller';
import { PackArchives } from './pack-archives.service';
import { PackRegistrar } from './pack-registrar.service';
import { PackUploadService } from './pack-upload.service';
import { PacksController } from './packs.controller';
import { PacksService } from './packs.service';

/** Packs and actions: CRUD, archive uploads, and the archives executions run. */
@Module({
  controllers: [PacksController, ActionsController, PackArchivesController],
  providers: [PacksService, PackUploadService, ActionsService, PackRegistrar, PackArchives],
})
export class RegistryModule {}
