import { Module } from '@nestjs/common';
import { TriggerRegistrar } from './trigger-registrar.service';
import { TriggersController } from './triggers.controller';
import { TriggersService } from './triggers.service';

@Module({
  controllers: [TriggersController],
  providers: [TriggersService, TriggerRegistrar],
  exports: [TriggersService],
})
export class TriggersModule {}
