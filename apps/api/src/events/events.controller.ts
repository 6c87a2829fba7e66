import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { RequireRole } from '../auth/auth.decorators';
import { idPipe } from '../common/id.pipe';
import { ApiDataResponse, ApiErrors, ApiPaginatedResponse } from '../common/openapi.decorators';
import { paginated, type Paginated } from '../common/pagination';
import { CreateEventDto, EventDto, EventListQuery, toEventDto } from './event.dto';
import { EventsService } from './events.service';

@ApiTags('events')
@ApiBearerAuth()
@ApiErrors(401, 403)
@Controller('api/v1/events')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @Get()
  @RequireRole('viewer')
  @ApiPaginatedResponse(EventDto)
  @ApiErrors(422)
  async list(@Query() q: EventListQuery): Promise<Paginated<EventDto>> {
    const { items, total } = await this.events.list({ triggerRef: q.trigger_ref, trigger: q.trigger, ruleRef: q.rule_ref, source: q.source }, q.page, q.per_page);
    return paginated(items.map(toEventDto), total, q);
  }

  @Post()
  @RequireRole('operator')
  @HttpCode(201)
  @ApiDataResponse(EventDto, 201, 'Recorded; the executor matches it against the enabled rules of its trigger')
  @ApiErrors(400, 404, 413, 422)
  async create(@Body() body: CreateEventDto): Promise<{ data: EventDto }> {
    return { data: toEventDto(await this.events.inject(body.trigger_ref, body.payload ?? {})) };
  }

  @Get(':id')
  @RequireRole('viewer')
  @ApiDataResponse(EventDto)
  @ApiErrors(400, 404)
  async get(@Param('id', idPipe) id: number): Promise<{ data: EventDto }> {
    return { data: toEventDto(await this.events.get(id)) };
  }
}
