import { PackRepository } from '@attune/persistence';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ApiConfig } from '../config/api.config';
import { CORE_ACTIONS, CORE_PACK } from './core-pack';
import { PackUploadService } from './pack-upload.service';

/**
 * Registers the built-in packs when the api starts; re-registering is idempotent. Then, unless
 * turned off (ATTUNE_EXAMPLES=false, the default in production), the example pack from
 * packs/examples, through the same checks and storage as an upload: its scripts reach workers
 * as any pack archive does, and its workflows are validated against `core`, registered first.
 */
@Injectable()
export class PackRegistrar implements OnApplicationBootstrap {
  private readonly logger = new Logger(PackRegistrar.name);

  constructor(
    private readonly packs: PackRepository,
    private readonly uploads: PackUploadService,
    private readonly config: ApiConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.packs.upsertWithActions(CORE_PACK, CORE_ACTIONS);
    this.logger.log(`pack "${CORE_PACK.ref}" registered with ${CORE_ACTIONS.length} actions`);
    if (this.config.registerExamples) await this.registerExamples(this.config.examplesDir);
  }

  /** A broken or missing example pack is logged, never fatal: the platform runs without it. */
  private async registerExamples(dir: string): Promise<void> {
    if (!existsSync(join(dir, 'pack.yaml'))) {
      this.logger.warn({ dir }, 'the example pack was not found; set ATTUNE_EXAMPLES_DIR, or ATTUNE_EXAMPLES=false to skip it');
      return;
    }
    try {
      const out = await this.uploads.registerBundledDirectory(dir);
      this.logger.log({ dir, actions: out.actions.length, new_version: out.newVersion }, `pack "${out.pack.ref}" registered from ${dir}`);
    } catch (err) {
      const details = (err as { details?: unknown }).details;
      this.logger.error({ dir, err: (err as Error).message, details }, 'the example pack could not be registered');
    }
  }
}
