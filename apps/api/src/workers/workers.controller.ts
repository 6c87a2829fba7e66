import { WorkerRepository } from '@attune/persistence';
import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiTags } from '@nestjs/swagger';
import { RequireRole } from '../auth/auth.decorators';
import { ApiConfig } from '../config/api.config';
import { ApiErrors, ApiPaginatedResponse } from '../common/openapi.decorators';
import { PageQuery, paginated, type Paginated } from '../common/pagination';

export class WorkerDto {
  @ApiProperty() name!: string;
  @ApiProperty() hostname!: string;
  @ApiProperty() pool!: string;
  @ApiProperty({ enum: ['online', 'draining', 'offline', 'stale'] }) status!: string;
  @ApiProperty({ type: [String] }) runtimes!: string[];
  @ApiProperty() running!: number;
  @ApiProperty() capacity!: number;
  @ApiProperty() last_heartbeat!: string;
}

/** A worker that has not sent a heartbeat for this long is reported as `stale`. */
const STALE_AFTER_MS = 30_000;

@ApiTags('workers')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('api/v1/workers')
export class WorkersController {
  constructor(
    private readonly workers: WorkerRepository,
    private readonly config: ApiConfig,
  ) {}

  @Get()
  @RequireRole('viewer')
  @ApiPaginatedResponse(WorkerDto)
  async list(@Query() q: PageQuery): Promise<Paginated<WorkerDto>> {
    // Only this platform's workers, should several platforms share the database.
    const { items, total } = await this.workers.list(q.page, q.per_page, this.config.amqpNamespace);
    const now = Date.now();
    return paginated(
      items.map((w) => ({
        name: w.name,
        hostname: w.hostname,
        pool: w.pool,
        status: w.status === 'online' && now - new Date(w.lastHeartbeat).getTime() > STALE_AFTER_MS ? 'stale' : w.status,
        runtimes: w.runtimes,
        running: w.running,
        capacity: w.capacity,
        last_heartbeat: new Date(w.lastHeartbeat).toISOString(),
      })),
      total,
      q,
    );
  }
}
