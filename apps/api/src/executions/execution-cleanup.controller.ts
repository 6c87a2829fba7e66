import type { ExecutionCleanupReportV1 } from '@attune/contracts';
import { Body } from '@nestjs/common';
import { ApiCommandRoute, ApiController } from '../common/openapi.decorators';
import { ExecutionCleanupDto, ExecutionCleanupReportDto } from './execution-cleanup.dto';
import { ExecutionCleanupService } from './execution-cleanup.service';

@ApiController('executions', 'api/v1/executions')
export class ExecutionCleanupController {
  constructor(private readonly cleanups: ExecutionCleanupService) {}

  @ApiCommandRoute('admin', 'cleanup', ExecutionCleanupReportDto, [422, 503], {
    summary: 'Delete terminal executions older than older_than, with their logs; dry_run reports without deleting',
    description:
      'Never deletes an execution that is not terminal, a task of a workflow run still going, a run with a task still going, ' +
      'or one that still has artifacts other than its logs (those follow their own retention policy). The executor ' +
      'applies the same rule on its own schedule (ATTUNE_RETENTION_EXECUTIONS).',
  })
  async cleanup(@Body() body: ExecutionCleanupDto): Promise<{ data: ExecutionCleanupReportV1 }> {
    return { data: await this.cleanups.cleanup(body) };
  }
}
