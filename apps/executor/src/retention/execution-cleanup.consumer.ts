import { DomainError, type ExecutionCleanupReportV1, type ExecutionCleanupV1, MessageTypes, parseDuration } from '@attune/contracts';
import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { RunRetention } from './run-retention.service';

/** `POST /api/v1/executions/cleanup`, sent by the api as a request: the reply is the report. */
@Controller()
export class ExecutionCleanupConsumer {
  constructor(private readonly retention: RunRetention) {}

  @EventPattern(MessageTypes.ExecutionCleanup)
  handle(@Payload() cmd: ExecutionCleanupV1): Promise<ExecutionCleanupReportV1> {
    const ms = parseDuration(cmd.older_than);
    if (ms === undefined) throw new DomainError('VALIDATION_ERROR', 'older_than must look like 30d, 6h, 15m or 45s');
    return this.retention.cleanExecutions(ms, cmd.older_than, { statuses: cmd.status, dryRun: cmd.dry_run });
  }
}
