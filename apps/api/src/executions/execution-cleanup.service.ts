import { type ExecutionCleanupReportV1, type ExecutionCleanupV1, MessageTypes } from '@attune/contracts';
import { MessagePublisher } from '@attune/messaging';
import { Injectable, Logger } from '@nestjs/common';
import { requestService } from '../common/service-request';
import type { ExecutionCleanupDto } from './execution-cleanup.dto';

/** The executor deletes executions (it owns them after creation); many may take a while. */
const CLEANUP_TIMEOUT_MS = 300_000;

/** `POST /api/v1/executions/cleanup`: forwarded to the executor, whose report is the answer. */
@Injectable()
export class ExecutionCleanupService {
  private readonly logger = new Logger(ExecutionCleanupService.name);

  constructor(private readonly publisher: MessagePublisher) {}

  cleanup(dto: ExecutionCleanupDto): Promise<ExecutionCleanupReportV1> {
    const cmd: ExecutionCleanupV1 = { older_than: dto.older_than, status: dto.status, dry_run: dto.dry_run };
    return requestService(this.publisher, 'the executor', MessageTypes.ExecutionCleanup, cmd, { timeoutMs: CLEANUP_TIMEOUT_MS, logger: this.logger });
  }
}
