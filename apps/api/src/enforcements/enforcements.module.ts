import { Module } from '@nestjs/common';
import { EnforcementsController } from './enforcements.controller';
import { EnforcementsService } from './enforcements.service';

@Module({
  controllers: [EnforcementsController],
  providers: [EnforcementsService],
})
export class EnforcementsModule {}
