import { DomainError, type ExecutionLogCommittedV1, isTerminal, LOG_STREAMS, type LogStreamName } from '@attune/contracts';
import { applyDecorators, Get, Headers, HttpCode, Param, Put, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiResponse } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ExecutionScoped, OwnExecutionOnly } from '../auth/execution-scope.guard';
import { CurrentPrincipal, LogWriterOnly, type Principal, RequireRole } from '../auth/auth.decorators';
import { idPipe } from '../common/id.pipe';
import { ApiController, ApiErrors } from '../common/openapi.decorators';
import { closeUnlessRead, rawBody } from '../common/http/receive-upload';
import { sendBlob } from '../common/http/send-blob';
import { completeUtf8Length, LogReader } from './log-reader.service';
import { LogUploads } from './log-uploads.service';
import { LogNotifier } from './log-notifier.service';
import { LiveTailLimits } from './live-tail-limits';
import { ApiConfig } from '../config/api.config';

const PING_MS = 15_000;
/** Bytes per SSE event at most. */
const EVENT_BYTES = 64 * 1024;

/** `GET path` of an execution's log `stream`, for whoever may read the execution. */
const LogReadRoute = (path: string) => applyDecorators(ApiParam({ name: 'stream', enum: LOG_STREAMS }), OwnExecutionOnly(), RequireRole('viewer'), Get(path));

function streamParam(value: string): LogStreamName {
  if (!(LOG_STREAMS as readonly string[]).includes(value)) throw new DomainError('NOT_FOUND', `no log stream "${value}" (stdout or stderr)`);
  return value as LogStreamName;
}

@ApiController('executions', 'api/v1/executions', [401])
export class ExecutionLogsController {
  constructor(
    private readonly reader: LogReader,
    private readonly uploads: LogUploads,
    private readonly notifier: LogNotifier,
    private readonly config: ApiConfig,
  ) {
    this.limits = new LiveTailLimits(config.liveTailsPerUser, config.liveTailsTotal);
  }

  private readonly limits: LiveTailLimits;

  @Put(':id/logs/:stream')
  @LogWriterOnly()
  @ExecutionScoped()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Store an execution log (workers only)',
    description:
      'The worker running the execution stores each non-empty log here once the process has ended and before it reports the result, ' +
      'so a log is whole when its execution is terminal. Only the worker\'s log token for this execution is accepted: users and ' +
      'actions cannot write logs. The body is the raw log; its length (Content-Length, X-Log-Size, or an X-Log-Size trailer) and a ' +
      'SHA-256 sent with it must match what is stored, or nothing is kept (422). The answer carries the stored size and SHA-256. Storing the same log again ' +
      'answers the version stored first.',
  })
  @ApiParam({ name: 'stream', enum: LOG_STREAMS })
  @ApiConsumes('application/octet-stream')
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  @ApiHeader({ name: 'Content-Length', required: false, description: 'Bytes in the log (or X-Log-Size with a chunked body)' })
  @ApiHeader({ name: 'X-Log-Size', required: false, description: 'Bytes in the log, when the body is chunked' })
  @ApiHeader({ name: 'X-Checksum-Sha256', required: false, description: 'SHA-256 of the log, hex; when sent, what is stored must match it' })
  @ApiHeader({ name: 'X-Log-Truncated', required: false, description: '`true` when the log hit its size cap and ends with a truncation marker' })
  @ApiCreatedResponse({
    description: 'The log is stored as the version of the execution\'s log artifact',
    schema: {
      type: 'object',
      properties: {
        data: {
          type: 'object',
          properties: {
            execution_id: { type: 'integer' },
            stream: { type: 'string', enum: [...LOG_STREAMS] },
            artifact_id: { type: 'integer' },
            version: { type: 'integer' },
            size_bytes: { type: 'integer' },
            sha256: { type: 'string' },
          },
        },
      },
    },
  })
  @ApiErrors(403, 404, 409, 413, 422, 503)
  async store(
    @CurrentPrincipal() principal: Principal,
    @Param('id', idPipe) id: number,
    @Param('stream') streamName: string,
    @Headers('content-length') contentLength: string | undefined,
    @Headers('x-log-size') logSize: string | undefined,
    @Headers('x-checksum-sha256') sha256: string | undefined,
    @Headers('x-log-truncated') truncated: string | undefined,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ data: ExecutionLogCommittedV1 }> {
    return { data: await closeUnlessRead(req, res, () => this.uploads.store(principal, id, streamParam(streamName), { contentLength, logSize, sha256, truncated }, rawBody(req))) };
  }

  @LogReadRoute(':id/logs/:stream')
  @ApiOperation({ summary: 'The whole stdout or stderr log of an execution (text, Range)' })
  @ApiHeader({ name: 'Range', required: false, description: 'bytes=start-end (one range)' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'The full log so far (complete once the execution has ended)', schema: { type: 'string' } })
  @ApiResponse({ status: 206, description: 'The requested byte range' })
  @ApiErrors(400, 403, 404, 416)
  async full(
    @Param('id', idPipe) id: number,
    @Param('stream') streamName: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const view = await this.reader.view(id, streamParam(streamName));
    await sendBlob(req, res, this.reader.blob(view));
  }

  @LogReadRoute(':id/logs/:stream/stream')
  @ApiOperation({ summary: 'Live tail of a log as Server-Sent Events' })
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'Resume after this byte offset (the id of the last event received)' })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description:
      'Server-Sent Events: `log` events whose data is a JSON string of new output and whose id is the byte offset after it; ' +
      'an `end` event with the final status (and whether the log is complete) when the execution has ended, then the stream closes. ' +
      'A stream stays open at most ATTUNE_LIVE_TAIL_MAX_SECONDS; it then ends with a `reconnect` event, and the client resumes with ' +
      '`Last-Event-ID` (EventSource does so by itself). Open tails are limited per user and per server (429 with Retry-After).',
  })
  @ApiErrors(400, 403, 404, 429)
  async tail(
    @CurrentPrincipal() principal: Principal,
    @Param('id', idPipe) id: number,
    @Param('stream') streamName: string,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const stream = streamParam(streamName);
    if (lastEventId !== undefined && !/^\d{1,15}$/.test(lastEventId)) {
      throw new DomainError('BAD_REQUEST', 'Last-Event-ID must be a byte offset (the id of an event)');
    }
    let sent = lastEventId ? Number(lastEventId) : 0;
    await this.reader.view(id, stream); // 404 before the stream opens
    const release = this.limits.acquire(principal.kind === 'user' ? `user:${principal.id}` : `execution:${principal.executionId}`);
    const closed = new AbortController();
    res.on('close', () => {
      closed.abort();
      release();
    });
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    // A client that is told to come back (the duration limit) resumes after a second.
    res.write('retry: 1000\n\n');
    const write = async (text: string) => {
      if (!res.write(text)) await new Promise<void>((r) => res.once('drain', r).once('close', r));
    };
    const openedAt = Date.now();
    let lastWrite = openedAt;
    try {
      while (!closed.signal.aborted) {
        const view = await this.reader.view(id, stream);
        while (!closed.signal.aborted && view.size > sent) {
          const end = Math.min(view.size, sent + EVENT_BYTES) - 1;
          const bytes = await this.reader.readBytes(view, sent, end);
          // Never split a character across events: keep an incomplete tail for the next one.
          const usable = end === view.size - 1 && view.final ? bytes.length : completeUtf8Length(bytes);
          if (usable === 0) break;
          sent += usable;
          await write(`id: ${sent}\nevent: log\ndata: ${JSON.stringify(bytes.subarray(0, usable).toString('utf8'))}\n\n`);
          lastWrite = Date.now();
        }
        // The end comes with the terminal status (the log is stored whole just before it).
        if (view.final && isTerminal(view.status) && sent >= view.size) {
          await write(`event: end\ndata: ${JSON.stringify({ status: view.status, bytes: sent, complete: view.complete })}\n\n`);
          break;
        }
        if (Date.now() - openedAt >= this.config.liveTailMaxSeconds * 1000) {
          // The longest a tail stays open: the client resumes with Last-Event-ID (EventSource does so by itself).
          await write(`event: reconnect\ndata: ${JSON.stringify({ last_event_id: String(sent) })}\n\n`);
          break;
        }
        if (Date.now() - lastWrite > PING_MS) {
          await write(': ping\n\n');
          lastWrite = Date.now();
        }
        await this.notifier.wait(id, this.config.liveTailPollMs, closed.signal);
      }
    } finally {
      release();
      res.end();
    }
  }
}
