import { DomainError } from '@attune/contracts';
import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import request from 'supertest';
import { as, controllerApp, expectWholeBlob } from '../../test/controller-app';
import { ExecutionArtifactsController } from '../artifacts/execution-artifacts.controller';
import { ExecutionArtifacts } from '../artifacts/execution-artifacts.service';
import type { RawBody } from '../common/http/upload';
import { ApiConfig } from '../config/api.config';
import { ExecutionLogsController } from './execution-logs.controller';
import { ExecutionsController } from './executions.controller';
import { ExecutionsService } from './executions.service';
import { LogNotifier } from './log-notifier.service';
import { LogReader, type LogView } from './log-reader.service';
import { LogUploads } from './log-uploads.service';

const now = new Date('2026-12-01T00:00:00Z');
const execution = (id: number) => ({
  id,
  action: 1,
  actionRef: 'core.echo',
  config: {},
  parent: null,
  enforcement: null,
  executor: null,
  executorLogin: 'operator',
  worker: null,
  status: 'running',
  result: null,
  timeoutSeconds: null,
  attempt: 1,
  startedAt: now,
  finishedAt: null,
  created: now,
  updated: now,
});

const log = Buffer.from('line one\nline two\n');
const logSha = createHash('sha256').update(log).digest('hex');

describe('Execution controllers (HTTP mapping)', () => {
  let app: INestApplication;
  const executions = {
    get: jest.fn(async (id: number) => execution(id)),
    execute: jest.fn(async () => execution(42)),
    cancel: jest.fn(async (_p: unknown, id: number) => execution(id)),
    list: jest.fn(async () => ({ items: [execution(1)], next: null })),
  };
  const executionArtifacts = { list: jest.fn(async (..._args: unknown[]) => []), manifest: jest.fn(async (..._args: unknown[]) => ({})) };
  let view: LogView;
  const reads: Array<[number, number]> = [];
  // The real LogReader.blob over a log held in memory.
  const reader = {
    view: jest.fn(async () => view),
    blob: (v: LogView) =>
      LogReader.prototype.blob.call(
        {
          read: (_v: LogView, start: number, end: number) => {
            reads.push([start, end]);
            return Readable.from([log.subarray(start, end + 1)]);
          },
        } as unknown as LogReader,
        v,
      ),
  };
  const uploads = {
    store: jest.fn(async (_p: unknown, id: number, stream: string, _h: unknown, body: RawBody) => {
      let size = 0;
      for await (const chunk of body.stream) size += (chunk as Buffer).length;
      return { execution_id: id, stream, artifact_id: 3, version: 1, size_bytes: size, sha256: logSha };
    }),
  };

  beforeAll(async () => {
    app = await controllerApp({
      controllers: [ExecutionsController, ExecutionLogsController, ExecutionArtifactsController],
      providers: [
        { provide: ExecutionsService, useValue: executions },
        { provide: ExecutionArtifacts, useValue: executionArtifacts },
        { provide: LogReader, useValue: reader },
        { provide: LogUploads, useValue: uploads },
        { provide: LogNotifier, useValue: {} },
        { provide: ApiConfig, useValue: new ApiConfig() },
      ],
    });
  });
  afterAll(() => app.close());
  beforeEach(() => {
    jest.clearAllMocks();
    reads.length = 0;
    view = { size: log.length, complete: true, final: true, status: 'completed', sha256: logSha, segments: [] };
  });

  const http = () => request(app.getHttpServer());

  describe('the execution scope of execution tokens', () => {
    it('lets an execution token read its own execution and refuses it any other (403, no service call)', async () => {
      const own = await http().get('/api/v1/executions/7').set('Authorization', as.execution(7));
      expect(own.status).toBe(200);
      expect(own.body.data).toMatchObject({ id: 7, action_ref: 'core.echo', status: 'running' });
      const other = await http().get('/api/v1/executions/8').set('Authorization', as.execution(7));
      expect(other.status).toBe(403);
      expect(other.body).toEqual({ code: 'FORBIDDEN', error: 'an execution token may only reach its own execution' });
      expect(executions.get).toHaveBeenCalledTimes(1);
    });

    it('applies the same rule to the logs, artifacts and manifest of an execution', async () => {
      for (const path of ['logs/stdout', 'artifacts', 'manifest']) {
        expect((await http().get(`/api/v1/executions/8/${path}`).set('Authorization', as.execution(7))).status).toBe(403);
        expect((await http().get(`/api/v1/executions/7/${path}`).set('Authorization', as.execution(7))).status).toBe(200);
      }
      expect(executionArtifacts.list).toHaveBeenCalledWith(7);
      expect(executionArtifacts.manifest).toHaveBeenCalledWith(7);
    });

    it('leaves an id that is not one to the id pipe (400), for execution tokens as for users', async () => {
      expect((await http().get('/api/v1/executions/abc').set('Authorization', as.execution(7))).status).toBe(400);
      expect((await http().get('/api/v1/executions/abc').set('Authorization', as.viewer())).status).toBe(400);
    });

    it('lets users read any execution, and keeps execution tokens off user-only routes', async () => {
      expect((await http().get('/api/v1/executions/8').set('Authorization', as.viewer())).status).toBe(200);
      const list = await http().get('/api/v1/executions').set('Authorization', as.execution(7));
      expect(list.status).toBe(403);
      expect(list.body.error).toBe('an execution token may not call this route');
    });
  });

  describe('roles and validation', () => {
    it('runs an action for an operator (201), not for a viewer (403)', async () => {
      const body = { action_ref: 'core.echo', parameters: { message: 'hi' } };
      const run = await http().post('/api/v1/executions/execute').set('Authorization', as.operator()).send(body);
      expect(run.status).toBe(201);
      expect(run.body.data.id).toBe(42);
      expect((await http().post('/api/v1/executions/execute').set('Authorization', as.viewer()).send(body)).status).toBe(403);
      expect((await http().post('/api/v1/executions/7/cancel').set('Authorization', as.viewer())).status).toBe(403);
    });

    it('answers 422 naming the field for an invalid body or query', async () => {
      const res = await http().post('/api/v1/executions/execute').set('Authorization', as.operator()).send({ action_ref: 'no dot', timeout_seconds: 0 });
      expect(res.status).toBe(422);
      expect(res.body.details.map((d: { field: string }) => d.field)).toEqual(expect.arrayContaining(['action_ref', 'timeout_seconds']));
      expect(executions.execute).not.toHaveBeenCalled();
      expect((await http().get('/api/v1/executions?status=nope').set('Authorization', as.viewer())).status).toBe(422);
    });

    it('passes a DomainError through as its status and body', async () => {
      executions.cancel.mockRejectedValueOnce(new DomainError('CONFLICT', 'execution 7 has ended'));
      const res = await http().post('/api/v1/executions/7/cancel').set('Authorization', as.operator());
      expect(res.status).toBe(409);
      expect(res.body).toEqual({ code: 'CONFLICT', error: 'execution 7 has ended' });
    });
  });

  describe('log downloads (sendBlob)', () => {
    it('answers the whole log as text with its checksum and completeness', async () => {
      const res = await http().get('/api/v1/executions/7/logs/stdout').set('Authorization', as.viewer());
      expectWholeBlob(res, log, 'text/plain; charset=utf-8', logSha);
      expect(res.headers['x-log-complete']).toBe('true');
    });

    it('answers a range with 206, and 416 past the end', async () => {
      const part = await http().get('/api/v1/executions/7/logs/stderr').set('Authorization', as.viewer()).set('Range', 'bytes=-4');
      expect(part.status).toBe(206);
      expect(part.text).toBe('two\n');
      expect(part.headers['content-range']).toBe(`bytes ${log.length - 4}-${log.length - 1}/${log.length}`);
      const past = await http().get('/api/v1/executions/7/logs/stdout').set('Authorization', as.viewer()).set('Range', `bytes=${log.length}-`);
      expect(past.status).toBe(416);
      expect(past.headers['content-range']).toBe(`bytes */${log.length}`);
      expect(reads).toEqual([[log.length - 4, log.length - 1]]);
    });

    it('answers a log still growing without ETag, and an empty one with no bytes', async () => {
      view = { size: 5, complete: false, final: false, status: 'running', segments: [] };
      const growing = await http().get('/api/v1/executions/7/logs/stdout').set('Authorization', as.viewer());
      expect(growing.headers.etag).toBeUndefined();
      expect(growing.headers['x-log-complete']).toBe('false');
      view = { size: 0, complete: true, final: true, status: 'completed', segments: [] };
      const empty = await http().get('/api/v1/executions/7/logs/stdout').set('Authorization', as.viewer());
      expect(empty.status).toBe(200);
      expect(empty.headers['content-length']).toBe('0');
    });

    it('answers 404 for a stream that is not stdout or stderr', async () => {
      expect((await http().get('/api/v1/executions/7/logs/other').set('Authorization', as.viewer())).status).toBe(404);
    });
  });

  describe('log uploads', () => {
    const put = (id: number) => http().put(`/api/v1/executions/${id}/logs/stdout`).set('Content-Type', 'application/octet-stream');

    it('takes a log from the log token of its execution, handing the service the raw body', async () => {
      const res = await put(7).set('Authorization', as.logWriter(7)).send(log);
      expect(res.status).toBe(201);
      expect(res.body.data).toMatchObject({ execution_id: 7, stream: 'stdout', size_bytes: log.length });
      expect(uploads.store.mock.calls[0][3]).toMatchObject({ contentLength: String(log.length) });
    });

    it('refuses a log token of another execution, execution tokens and users', async () => {
      const other = await put(8).set('Authorization', as.logWriter(7)).send(log);
      expect(other.status).toBe(403);
      expect(other.body.error).toBe('this log token is for another execution');
      expect((await put(7).set('Authorization', as.execution(7)).send(log)).status).toBe(403);
      expect((await put(7).set('Authorization', as.admin()).send(log)).status).toBe(403);
      expect(uploads.store).not.toHaveBeenCalled();
    });
  });
});
