import { PackRepository } from '@attune/persistence';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { CORE_ACTIONS, CORE_PACK } from './core-pack';

/** Registers the built-in packs when the api starts; re-registering is idempotent. */
@Injectable()
export class PackRegistrar implements OnApplicationBootstrap {
  private readonly logger = new Logger(PackRegistrar.name);

  constructor(private readonly packs: PackRepository) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.packs.upsertWithActions(CORE_PACK, CORE_ACTIONS);
    this.logger.log(`pack "${CORE_PACK.ref}" registered with ${CORE_ACTIONS.length} actions`);
  }
}
