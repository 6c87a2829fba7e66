import { Module } from '@nestjs/common';
import { KeySweeper } from './key-sweeper.service';
import { KeysController } from './keys.controller';
import { KeysService } from './keys.service';

@Module({
  controllers: [KeysController],
  providers: [KeysService, KeySweeper],
})
export class KeysModule {}
