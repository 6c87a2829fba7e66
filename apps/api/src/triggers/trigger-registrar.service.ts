import { TIMER_TRIGGER_DEFINITIONS } from '@attune/contracts';
import { TriggerRepository } from '@attune/persistence';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { CORE_PACK } from '../packs/core-pack';

/**
 * Registers the built-in timer triggers in the `core` pack when the api starts (creating the
 * pack row if the pack registrar has not yet); running again changes nothing.
 */
@Injectable()
export class TriggerRegistrar implements OnApplicationBootstrap {
  private readonly logger = new Logger(TriggerRegistrar.name);

  constructor(private readonly triggers: TriggerRepository) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.triggers.upsertBuiltins(
      CORE_PACK,
      TIMER_TRIGGER_DEFINITIONS.map((d) => ({ ref: d.ref, label: d.label, description: d.description, paramSchema: d.paramSchema, outSchema: d.outSchema })),
    );
    this.logger.log(`built-in triggers registered: ${TIMER_TRIGGER_DEFINITIONS.map((d) => d.ref).join(', ')}`);
  }
}
