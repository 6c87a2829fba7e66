import { DomainError } from '@attune/contracts';
import { BLOB_STORE, HashingCounter } from '@attune/storage';
import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import request from 'supertest';
import { as, controllerApp, expectWholeBlob } from '../../test/controller-app';
import { DRAIN_REFUSED_BODY_BYTES } from '../common/http/receive-upload';
import { ApiConfig } from '../config/api.config';
import { ArtifactDownloads } from './artifact-downloads.service';
import { ArtifactUploads } from './artifact-uploads.service';
import { ArtifactsController } from './artifacts.controller';
import { ArtifactsService } from './artifacts.service';
import { DirectTransfers } from './direct-transfers.service';

const content = Buffer.from('0123456789abcdefghij');
const sha = createHash('sha256').update(content).digest('hex');
const artifact = { id: 5, ref: 'run.report', name: 'report ü.txt', contentType: null, execution: null };
const version = { id: 9, artifact: 5, version: 2, size_bytes: content.length, sha256: sha, content_type: 'text/plain', created: '2026-12-01T00:00:00.000Z' };
const record = { id: 5, ref: 'run.report', type: 'file_text', latest_version: 2 };

describe('ArtifactsController (HTTP mapping)', () => {
  let app: INestApplication;
  const service = {
    version: jest.fn(async (_p: unknown, id: number, _v?: number) => {
      if (id === 404) throw new DomainError('NOT_FOUND', 'artifact 404 not found');
      return { artifact, version };
    }),
    create: jest.fn(async () => record),
    delete: jest.fn(async () => undefined),
    writableForVersions: jest.fn(async () => artifact),
    newUploadKey: () => 'uploads/k',
    versionExecution: () => null,
    commit: jest.fn(async (_p: unknown, _a: unknown, staged: { size: number; sha256: string; contentType: string }) => ({
      ...version,
      version: 3,
      size_bytes: staged.size,
      sha256: staged.sha256,
      content_type: staged.contentType,
    })),
  };
  const opened: Array<{ start: number; end: number } | undefined> = [];
  const downloads = {
    blob: () => ({
      size: content.length,
      contentType: 'text/plain',
      sha256: sha,
      fileName: 'report ü.txt',
      open: async (range?: { start: number; end: number }) => {
        opened.push(range);
        return Readable.from([range ? content.subarray(range.start, range.end + 1) : content]);
      },
    }),
  };
  /** The blob store behind the real upload receiver: keeps what it is given, hashed as a store does. */
  const stored = new Map<string, Buffer>();
  const store = {
    async put(key: string, body: Readable, opts: { maxBytes?: number; size?: number; expectedSha256?: string }) {
      const hasher = new HashingCounter(key, opts);
      const chunks: Buffer[] = [];
      await pipeline(body, hasher, async (source: AsyncIterable<Buffer>) => {
        for await (const chunk of source) chunks.push(chunk);
      });
      stored.set(key, Buffer.concat(chunks));
      return { key, size: hasher.bytes, sha256: hasher.digest() };
    },
    delete: jest.fn(async (key: string) => void stored.delete(key)),
  };

  // A store that can presign (S3) answers a ticket for the version; one that cannot (fs) null.
  let presigned: { url: string; expiresAt: Date } | null = null;
  const direct = { downloadUrl: jest.fn(async (..._args: unknown[]) => presigned) };

  beforeAll(async () => {
    app = await controllerApp({
      controllers: [ArtifactsController],
      providers: [
        { provide: ArtifactsService, useValue: service },
        { provide: ArtifactDownloads, useValue: downloads },
        { provide: DirectTransfers, useValue: direct },
        ArtifactUploads,
        { provide: ApiConfig, useValue: Object.assign(new ApiConfig(), { artifactMaxUploadBytes: 1024 }) },
        { provide: BLOB_STORE, useValue: store },
      ],
    });
  });
  afterAll(() => app.close());
  beforeEach(() => {
    opened.length = 0;
    presigned = null;
    stored.clear();
    jest.clearAllMocks();
  });

  const http = () => request(app.getHttpServer());

  describe('downloads (sendBlob)', () => {
    it('answers the whole content with its length, type, ETag, checksum and disposition', async () => {
      const res = await http().get('/api/v1/artifacts/5/download').set('Authorization', as.viewer());
      expectWholeBlob(res, content, 'text/plain', sha);
      expect(res.headers['accept-ranges']).toBe('bytes');
      expect(res.headers['content-disposition']).toBe(`attachment; filename="report _.txt"; filename*=UTF-8''report%20%C3%BC.txt`);
      expect(opened).toEqual([undefined]);
    });

    it('answers ?redirect=true with a 302 to the presigned GET and the checksum, opening nothing; without a ticket, the bytes', async () => {
      presigned = { url: 'http://127.0.0.1:9/bucket/blobs/x?X-Amz-Signature=abc', expiresAt: new Date(Date.now() + 60_000) };
      const res = await http().get('/api/v1/artifacts/5/versions/2/download?redirect=true').set('Authorization', as.viewer());
      expect(res.status).toBe(302);
      expect(res.headers.location).toBe(presigned.url);
      expect(res.headers['x-checksum-sha256']).toBe(sha);
      expect(opened).toEqual([]);
      // Without redirect=true the ticket is never asked for.
      expectWholeBlob(await http().get('/api/v1/artifacts/5/download').set('Authorization', as.viewer()), content, 'text/plain', sha);
      expect(direct.downloadUrl).toHaveBeenCalledTimes(1);
      presigned = null;
      expectWholeBlob(await http().get('/api/v1/artifacts/5/download?redirect=true').set('Authorization', as.viewer()), content, 'text/plain', sha);
    });

    it('answers one range with 206 and Content-Range, opening only those bytes', async () => {
      const res = await http().get('/api/v1/artifacts/5/versions/2/download').set('Authorization', as.viewer()).set('Range', 'bytes=2-5');
      expect(res.status).toBe(206);
      expect(res.text).toBe('2345');
      expect(res.headers['content-range']).toBe(`bytes 2-5/${content.length}`);
      expect(res.headers['content-length']).toBe('4');
      expect(opened).toEqual([{ start: 2, end: 5 }]);
      expect(service.version).toHaveBeenCalledWith(expect.objectContaining({ kind: 'user' }), 5, 2);
    });

    it('answers 416 with the size for a range past the end, without opening the blob', async () => {
      const res = await http().get('/api/v1/artifacts/5/download').set('Authorization', as.viewer()).set('Range', 'bytes=20-');
      expect(res.status).toBe(416);
      expect(res.headers['content-range']).toBe(`bytes */${content.length}`);
      expect(res.body).toMatchObject({ code: 'RANGE_NOT_SATISFIABLE' });
      expect(opened).toEqual([]);
    });

    it('answers 304 for a matching If-None-Match, and the whole content when If-Range names another ETag', async () => {
      const notModified = await http().get('/api/v1/artifacts/5/download').set('Authorization', as.viewer()).set('If-None-Match', `W/"x", "${sha}"`);
      expect(notModified.status).toBe(304);
      expect(opened).toEqual([]);
      const whole = await http().get('/api/v1/artifacts/5/download').set('Authorization', as.viewer()).set('Range', 'bytes=0-0').set('If-Range', '"other"');
      expect(whole.status).toBe(200);
      expect(whole.text).toBe(content.toString());
    });

    it('maps path ids (400, 404) and a missing token (401)', async () => {
      expect((await http().get('/api/v1/artifacts/abc/download').set('Authorization', as.viewer())).status).toBe(400);
      expect((await http().get('/api/v1/artifacts/404/download').set('Authorization', as.viewer())).body).toMatchObject({ code: 'NOT_FOUND' });
      expect((await http().get('/api/v1/artifacts/5/download')).status).toBe(401);
    });

    it('lets an execution token download (the service decides which artifacts are its own)', async () => {
      const res = await http().get('/api/v1/artifacts/5/download').set('Authorization', as.execution(7));
      expect(res.status).toBe(200);
      expect(service.version).toHaveBeenCalledWith({ kind: 'execution', executionId: 7 }, 5);
    });
  });

  describe('roles and validation', () => {
    it('creates with 201 for an operator, and refuses a viewer with 403', async () => {
      const body = { ref: 'run.report', type: 'file_text' };
      const created = await http().post('/api/v1/artifacts').set('Authorization', as.operator()).send(body);
      expect(created.status).toBe(201);
      expect(created.body).toEqual({ data: record });
      const refused = await http().post('/api/v1/artifacts').set('Authorization', as.viewer()).send(body);
      expect(refused.status).toBe(403);
      expect(refused.body).toEqual({ code: 'FORBIDDEN', error: 'this needs the operator role' });
    });

    it('answers 422 with the fields for an invalid body or query', async () => {
      const res = await http().post('/api/v1/artifacts').set('Authorization', as.operator()).send({ ref: 'bad ref!', type: 'nope', extra: 1 });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('VALIDATION_ERROR');
      expect(res.body.details.map((d: { field: string }) => d.field)).toEqual(expect.arrayContaining(['ref', 'type', 'extra']));
      expect(service.create).not.toHaveBeenCalled();
      expect((await http().get('/api/v1/artifacts?origin=nope').set('Authorization', as.viewer())).status).toBe(422);
    });

    it('deletes for admins only, and refuses execution tokens where they are not allowed', async () => {
      expect((await http().delete('/api/v1/artifacts/5').set('Authorization', as.operator())).status).toBe(403);
      expect((await http().delete('/api/v1/artifacts/5').set('Authorization', as.admin())).body).toEqual({ data: { deleted: true } });
      const res = await http().post('/api/v1/artifacts/cleanup').set('Authorization', as.execution(7)).send({});
      expect(res.status).toBe(403);
      expect(res.body.error).toBe('an execution token may not call this route');
    });
  });

  describe('uploads (the multipart receiver)', () => {
    const upload = () => http().post('/api/v1/artifacts/5/versions/upload').set('Authorization', as.operator());

    it('streams the file part into the store and commits what it measured', async () => {
      const res = await upload().field('sha256', sha).attach('file', content, { filename: 'r.txt', contentType: 'text/plain' });
      expect(res.status).toBe(201);
      expect(res.body.data).toMatchObject({ version: 3, size_bytes: content.length, sha256: sha, content_type: 'text/plain' });
      expect(stored.get('uploads/k')).toEqual(content);
    });

    it('answers 400 for a body that is not multipart, and reads nothing', async () => {
      const res = await upload().set('Content-Type', 'application/octet-stream').send(content);
      expect(res.status).toBe(400);
      expect(res.body.error).toContain('multipart/form-data');
      expect(stored.size).toBe(0);
    });

    it('answers 400 when the file part is missing', async () => {
      const res = await upload().field('content_type', 'text/plain');
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('multipart field "file" is required');
    });

    it('answers 413 past the limit, while streaming, and keeps nothing', async () => {
      const res = await upload().attach('file', Buffer.alloc(4096, 1), 'big.bin');
      expect(res.status).toBe(413);
      expect(res.body).toEqual({ code: 'PAYLOAD_TOO_LARGE', error: 'the upload exceeds the limit of 1024 bytes' });
      expect(store.delete).toHaveBeenCalledWith('uploads/k');
    });

    it('answers 422 naming the field when the file is not what size or sha256 announced', async () => {
      const wrongSha = await upload().field('sha256', '0'.repeat(64)).attach('file', content, 'r.txt');
      expect(wrongSha.status).toBe(422);
      expect(wrongSha.body.details).toEqual([{ field: 'sha256', message: 'does not match the file' }]);
      const wrongSize = await upload().field('size', '3').attach('file', content, 'r.txt');
      expect(wrongSize.status).toBe(422);
      expect(wrongSize.body.details[0].field).toBe('size');
      const badField = await upload().field('size', 'ten').attach('file', content, 'r.txt');
      expect(badField.status).toBe(422);
      expect(service.commit).not.toHaveBeenCalled();
    });

    it('refuses before reading the body when the artifact takes no versions: a small rest is drained, a large one closes the connection', async () => {
      const gone = new DomainError('NOT_FOUND', 'artifact 5 not found');
      service.writableForVersions.mockRejectedValueOnce(gone).mockRejectedValueOnce(gone);
      // As fetch sends it: the headers, then the body, on a connection it keeps.
      const server = app.getHttpServer();
      if (!server.address()) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(content)]), 'r.txt');
      const small = await fetch(`http://127.0.0.1:${server.address().port}/api/v1/artifacts/5/versions/upload`, {
        method: 'POST',
        headers: { authorization: as.operator() },
        body: form,
      });
      expect(small.status).toBe(404);
      expect(small.headers.get('connection')).toBe('keep-alive');
      expect(await small.json()).toMatchObject({ code: 'NOT_FOUND' });
      const large = await upload().attach('file', Buffer.alloc(DRAIN_REFUSED_BODY_BYTES + 1), 'big.bin');
      expect(large.status).toBe(404);
      expect(large.headers.connection).toBe('close');
      expect(stored.size).toBe(0);
    });
  });
});
