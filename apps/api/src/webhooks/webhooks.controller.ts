import { Public } from '@attune/service-kit';
import { Body, Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiBody, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { ApiDataResponse, ApiErrors } from '../common/openapi.decorators';
import { EventIdDto } from '../events/event.dto';
import { WebhooksService } from './webhooks.service';

@ApiTags('webhooks')
@Controller('api/v1/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  /**
   * Public: the key in the path is the credential. Answers as soon as the event is recorded;
   * matching rules and running actions happen afterwards in the executor.
   */
  @Post(':key')
  @Public()
  @HttpCode(200)
  @ApiBody({
    required: false,
    description: 'JSON. `{"payload": {...}}` records `payload` as the event payload; any other JSON body is recorded whole.',
    schema: { type: 'object', properties: { payload: { type: 'object', additionalProperties: true } }, example: { payload: { severity: 'critical', host: 'web-1' } } },
  })
  @ApiDataResponse(EventIdDto, 200, 'The event is recorded (200, as Attune answers)')
  @ApiErrors(400, 404, 413, 422)
  async receive(@Param('key') key: string, @Req() req: Request, @Body() body: unknown): Promise<{ data: EventIdDto }> {
    const declared = Number(req.headers['content-length']);
    const hasBody = (Number.isFinite(declared) && declared > 0) || req.headers['transfer-encoding'] !== undefined;
    const event = await this.webhooks.receive({
      key,
      body: hasBody ? body : undefined,
      contentLength: Number.isFinite(declared) ? declared : undefined,
      isJson: !hasBody || req.is('application/json') !== false,
    });
    return { data: { event_id: event.id } };
  }
}
