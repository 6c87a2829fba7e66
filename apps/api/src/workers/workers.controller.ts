import { Get, Query } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { RequireRole } from '../auth/auth.decorators';
import { ApiController, ApiPaginatedResponse } from '../common/openapi.decorators';
import { PageQuery, paginated, type Paginated } from '../common/pagination';
import { WorkerDto } from './worker.dto';
import { WorkersService } from './workers.service';

@ApiController('workers', 'api/v1/workers', [401])
export class WorkersController {
  constructor(private readonly workers: WorkersService) {}

  @Get()
  @ApiOperation({ summary: 'List the workers seen, with their runtimes and heartbeat' })
  @RequireRole('viewer')
  @ApiPaginatedResponse(WorkerDto)
  async list(@Query() q: PageQuery): Promise<Paginated<WorkerDto>> {
    const { items, total } = await this.workers.list(q.page, q.per_page);
    return paginated(items, total, q);
  }
}
