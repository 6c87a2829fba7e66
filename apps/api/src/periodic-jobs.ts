import { type Logger, PeriodicJobList, ROOT_LOGGER } from '@attune/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { ApiConfig } from './config/api.config';
import { KeysService } from './keys/keys.service';

/**
 * Everything the api does on a timer rather than on a request, each paced by its own setting:
 * one pass at a time, a failed pass logged and tried again at the next tick, and shutdown waiting
 * for a pass in progress (PeriodicJob).
 */
@Injectable()
export class PeriodicJobs extends PeriodicJobList {
  constructor(config: ApiConfig, @Inject(ROOT_LOGGER) logger: Logger, keys: KeysService) {
    super(logger, [
      {
        name: 'expired datastore keys sweep',
        everyMs: config.keySweepIntervalMs,
        run: async () => {
          const deleted = await keys.sweepExpired();
          if (deleted) logger.info({ deleted }, 'expired datastore keys deleted');
        },
      },
    ]);
  }
}
