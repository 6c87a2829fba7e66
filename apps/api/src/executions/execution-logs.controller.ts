import { DomainError, isTerminal, LOG_STREAMS, type LogStreamName } from '@attune/contracts';
import { ExecutionRepository } from '@attune/persistence';
import { Controller, Get, Headers, Param, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiParam, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { AllowExecutionToken, CurrentPrincipal, type Principal, RequireRole } from '../auth/auth.decorators';
import { idPipe } from '../common/id.pipe';
import { ApiErrors } from '../common/openapi.decorators';
import { parseRange } from '../common/http-range';
import { completeUtf8Length, LogReader } from './log-reader.service';

const POLL_MS = 250;
const PING_MS = 15_000;
/** Bytes per SSE event at most. */
const EVENT_BYTES = 64 * 1024;
/** After the execution ends, how long the tail waits for its last chunks before closing anyway. */
const SETTLE_MS = 30_000;

function streamParam(value: string): LogStreamName {
  if (!(LOG_STREAMS as readonly string[]).includes(value)) throw new DomainError('NOT_FOUND', `no log stream "${value}" (stdout or stderr)`);
  return value as LogStreamName;
}

@ApiTags('executions')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('api/v1/executions')
export class ExecutionLogsController {
  constructor(
    private readonly reader: LogReader,
    private readonly executions: ExecutionRepository,
  ) {}

  @Get(':id/logs/:stream')
  @RequireRole('viewer')
  @AllowExecutionToken()
  @ApiParam({ name: 'stream', enum: LOG_STREAMS })
  @ApiHeader({ name: 'Range', required: false, description: 'bytes=start-end (one range)' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'The full log so far (complete once the execution has ended)', schema: { type: 'string' } })
  @ApiResponse({ status: 206, description: 'The requested byte range' })
  @ApiErrors(400, 403, 404, 416)
  async full(
    @CurrentPrincipal() principal: Principal,
    @Param('id', idPipe) id: number,
    @Param('stream') streamName: string,
    @Headers('range') range: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    this.checkOwn(principal, id);
    const view = await this.reader.view(id, streamParam(streamName));
    const r = parseRange(range, view.size);
    if (r.kind === 'unsatisfiable') {
      res.setHeader('Content-Range', `bytes */${view.size}`);
      throw new DomainError('RANGE_NOT_SATISFIABLE', `range ${range} is outside the log (${view.size} bytes)`);
    }
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('X-Log-Complete', String(view.complete));
    if (view.sha256) {
      res.setHeader('X-Checksum-Sha256', view.sha256);
      res.setHeader('ETag', `"${view.sha256}"`);
    }
    if (view.size === 0) {
      res.status(200).setHeader('Content-Length', '0');
      res.end();
      return;
    }
    const { start, end } = r.kind === 'range' ? r : { start: 0, end: view.size - 1 };
    res.status(r.kind === 'range' ? 206 : 200);
    if (r.kind === 'range') res.setHeader('Content-Range', `bytes ${start}-${end}/${view.size}`);
    res.setHeader('Content-Length', String(end - start + 1));
    const body = this.reader.read(view, start, end);
    body.on('error', () => res.destroy());
    body.pipe(res);
  }

  @Get(':id/logs/:stream/stream')
  @RequireRole('viewer')
  @AllowExecutionToken()
  @ApiParam({ name: 'stream', enum: LOG_STREAMS })
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'Resume after this byte offset (the id of the last event received)' })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description:
      'Server-Sent Events: `log` events whose data is a JSON string of new output and whose id is the byte offset after it; ' +
      'an `end` event with the final status when the execution has ended and the log is complete, then the stream closes.',
  })
  @ApiErrors(400, 403, 404)
  async tail(
    @CurrentPrincipal() principal: Principal,
    @Param('id', idPipe) id: number,
    @Param('stream') streamName: string,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    this.checkOwn(principal, id);
    const stream = streamParam(streamName);
    if (lastEventId !== undefined && !/^\d{1,15}$/.test(lastEventId)) {
      throw new DomainError('BAD_REQUEST', 'Last-Event-ID must be a byte offset (the id of an event)');
    }
    let sent = lastEventId ? Number(lastEventId) : 0;
    await this.reader.view(id, stream); // 404 before the stream opens
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    let closed = false;
    res.on('close', () => (closed = true));
    let lastWrite = Date.now();
    let endedAt: number | undefined;
    while (!closed) {
      const view = await this.reader.view(id, stream);
      while (!closed && view.size > sent) {
        const end = Math.min(view.size, sent + EVENT_BYTES) - 1;
        const bytes = await this.reader.readBytes(view, sent, end);
        // Never split a character across events: keep an incomplete tail for the next one.
        const usable = end === view.size - 1 && view.complete ? bytes.length : completeUtf8Length(bytes);
        if (usable === 0) break;
        sent += usable;
        res.write(`id: ${sent}\nevent: log\ndata: ${JSON.stringify(bytes.subarray(0, usable).toString('utf8'))}\n\n`);
        lastWrite = Date.now();
      }
      const execution = await this.executions.findById(id);
      if (!execution) break;
      if (isTerminal(execution.status)) {
        endedAt ??= Date.now();
        if ((view.complete && sent >= view.size) || Date.now() - endedAt > SETTLE_MS) {
          res.write(`event: end\ndata: ${JSON.stringify({ status: execution.status, bytes: sent })}\n\n`);
          break;
        }
      }
      if (Date.now() - lastWrite > PING_MS) {
        res.write(': ping\n\n');
        lastWrite = Date.now();
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    res.end();
  }

  private checkOwn(principal: Principal, id: number): void {
    if (principal.kind === 'execution' && principal.executionId !== id) {
      throw new DomainError('FORBIDDEN', 'an execution token may only read its own execution');
    }
  }
}
