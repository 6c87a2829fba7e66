import { Body, Param, Query } from '@nestjs/common';
import { idPipe } from '../common/id.pipe';
import { ApiController, ApiCreateRoute, ApiGetRoute, ApiListRoute } from '../common/openapi.decorators';
import { cursorPaginated, type CursorPaginated, listRequest } from '../common/pagination';
import { CreateEventDto, EventDto, EventListQuery, toEventDto } from './event.dto';
import { EventsService } from './events.service';

@ApiController('events', 'api/v1/events')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @ApiListRoute({ summary: 'List events, newest first' }, EventDto, 'cursor')
  async list(@Query() q: EventListQuery): Promise<CursorPaginated<EventDto>> {
    const page = await this.events.list({ triggerRef: q.trigger_ref, trigger: q.trigger, ruleRef: q.rule_ref, source: q.source }, listRequest(q));
    return cursorPaginated(page, q, toEventDto);
  }

  @ApiCreateRoute('operator', '', EventDto, [400, 404, 413, 422], {
    summary: 'Fire an event of a trigger (rules matching it run their actions)',
    answer: 'Recorded; the executor matches it against the enabled rules of its trigger',
  })
  async create(@Body() body: CreateEventDto): Promise<{ data: EventDto }> {
    return { data: toEventDto(await this.events.inject(body.trigger_ref, body.payload ?? {})) };
  }

  @ApiGetRoute('viewer', ':id', EventDto, [400, 404], { summary: 'One event with its payload' })
  async get(@Param('id', idPipe) id: number): Promise<{ data: EventDto }> {
    return { data: toEventDto(await this.events.get(id)) };
  }
}
