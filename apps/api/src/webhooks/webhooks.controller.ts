import { DomainError } from '@attune/contracts';
import { Public } from '@attune/service-kit';
import { Controller, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiDataResponse, ApiErrors } from '../common/openapi.decorators';
import { EventIdDto } from '../events/event.dto';
import { BodyTooLargeError, WebhooksService } from './webhooks.service';

/** Webhook bodies are not parsed by the api's JSON body parser (app.setup.ts): the service reads them after its checks. */
export const WEBHOOK_PATH_PREFIX = '/api/v1/webhooks/';

@ApiTags('webhooks')
@Controller('api/v1/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  /**
   * Public: the key in the path is the credential. Answers as soon as the event is recorded;
   * matching rules and running actions happen afterwards in the executor.
   */
  @Post(':key')
  @ApiOperation({ summary: 'Receive a webhook: fires an event of its trigger (no token; the key is the secret)' })
  @Public()
  @HttpCode(200)
  @ApiBody({
    required: false,
    description: 'JSON. `{"payload": {...}}` records `payload` as the event payload; any other JSON body is recorded whole.',
    schema: { type: 'object', properties: { payload: { type: 'object', additionalProperties: true } }, example: { payload: { severity: 'critical', host: 'web-1' } } },
  })
  @ApiHeader({ name: 'Content-Length', required: false, description: 'Checked against the size limit before the body is read' })
  @ApiDataResponse(EventIdDto, 200, 'The event is recorded (200, as Attune answers)')
  @ApiErrors(400, 404, 413, 422, 429)
  async receive(@Param('key') key: string, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<{ data: EventIdDto }> {
    const declared = Number(req.headers['content-length']);
    const hasBody = (Number.isFinite(declared) && declared > 0) || req.headers['transfer-encoding'] !== undefined;
    const encoding = String(req.headers['content-encoding'] ?? 'identity').toLowerCase();
    try {
      const event = await this.webhooks.receive({
        key,
        contentLength: Number.isFinite(declared) ? declared : undefined,
        hasBody,
        isJson: !hasBody || req.is('application/json') !== false,
        identityEncoding: encoding === 'identity',
        readBody: (limit) => readBody(req, limit),
      });
      return { data: { event_id: event.id } };
    } catch (err) {
      const retry = err instanceof DomainError && err.code === 'TOO_MANY_REQUESTS' ? (err.details as { retry_after_seconds?: number })?.retry_after_seconds : undefined;
      if (retry !== undefined) res.setHeader('Retry-After', String(retry));
      throw err;
    }
  }
}

/** The raw request body, refusing (BodyTooLargeError) as soon as it passes `limit` bytes. */
async function readBody(req: Request, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BodyTooLargeError();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}
