import { ExecutionLogRepository } from '@attune/persistence';
import { type Logger, PeriodicSweeper, ROOT_LOGGER } from '@attune/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { LogRecorder } from './log-recorder.service';

const INTERVAL_MS = 15_000;
const IDLE_MS = 30_000;

/** Joins complete log streams a crash or failure left unjoined. */
@Injectable()
export class LogFinalizeSweeper extends PeriodicSweeper {
  protected readonly sweepName = 'log sweep';

  constructor(
    private readonly logs: ExecutionLogRepository,
    private readonly recorder: LogRecorder,
    @Inject(ROOT_LOGGER) protected readonly logger: Logger,
  ) {
    super();
  }

  protected intervalMs(): number {
    return INTERVAL_MS;
  }

  async sweep(): Promise<void> {
    for (const s of await this.logs.findUnfinished(IDLE_MS, 50)) {
      // A claim older than IDLE_MS belongs to a join that died: give it back first.
      if (s.state === 'finalizing') await this.logs.releaseClaim(s.execution, s.stream);
      await this.recorder.finalize(s.execution, s.stream);
    }
  }
}
