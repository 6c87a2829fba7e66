import { ActionRepository, PackRegistryRepository, PackRepository } from '@attune/persistence';
import { BLOB_STORE } from '@attune/storage';
import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import request from 'supertest';
import { as, controllerApp } from '../../test/controller-app';
import { ApiConfig } from '../config/api.config';
import { PackArchivesController } from './pack-archives.controller';
import { PackArchives } from './pack-archives.service';
import { PackUploadService } from './pack-upload.service';
import { PacksController } from './packs.controller';
import { PacksService } from './packs.service';

const archive = Buffer.from('not really gzip, but bytes all the same');
const digest = createHash('sha256').update(archive).digest('hex');

function binary(res: request.Response, done: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
}

describe('Pack controllers (HTTP mapping)', () => {
  let app: INestApplication;
  let staging: string;
  const packs = { list: jest.fn(async () => ({ items: [], total: 0 })), create: jest.fn() };
  const opened: Array<{ start: number; end: number } | undefined> = [];
  const blob = () => ({
    size: archive.length,
    contentType: 'application/gzip',
    sha256: digest,
    fileName: `demo-${digest.slice(0, 12)}.tar.gz`,
    open: async (range?: { start: number; end: number }) => {
      opened.push(range);
      return Readable.from([range ? archive.subarray(range.start, range.end + 1) : archive]);
    },
  });
  const archives = { ofPack: jest.fn(async (..._args: unknown[]) => blob()), ofExecution: jest.fn(async (..._args: unknown[]) => blob()) };

  beforeAll(async () => {
    staging = await mkdtemp(join(tmpdir(), 'attune-pack-staging-'));
    app = await controllerApp({
      controllers: [PacksController, PackArchivesController],
      providers: [
        { provide: PacksService, useValue: packs },
        { provide: PackArchives, useValue: archives },
        // The real upload service, up to its archive checks: no repository or store is reached.
        PackUploadService,
        { provide: ApiConfig, useValue: Object.assign(new ApiConfig(), { packStagingDir: staging, packMaxUploadBytes: 1024 }) },
        { provide: PackRepository, useValue: {} },
        { provide: PackRegistryRepository, useValue: {} },
        { provide: ActionRepository, useValue: {} },
        { provide: BLOB_STORE, useValue: {} },
      ],
    });
  });
  afterAll(async () => {
    await app.close();
    await rm(staging, { recursive: true, force: true });
  });
  beforeEach(() => {
    opened.length = 0;
    jest.clearAllMocks();
  });

  const http = () => request(app.getHttpServer());

  describe('archive downloads (sendBlob)', () => {
    const path = `/api/v1/packs/demo/versions/${digest}/download`;

    it('answers the archive with its digest as ETag and checksum, and a file name', async () => {
      const res = await http().get(path).set('Authorization', as.viewer()).buffer(true).parse(binary);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(archive);
      expect(res.headers).toMatchObject({
        'content-type': 'application/gzip',
        'content-length': String(archive.length),
        etag: `"${digest}"`,
        'x-checksum-sha256': digest,
      });
      expect(res.headers['content-disposition']).toContain(`filename="demo-${digest.slice(0, 12)}.tar.gz"`);
      expect(archives.ofPack).toHaveBeenCalledWith('demo', digest);
    });

    it('answers a range with 206 and one past the end with 416', async () => {
      const part = await http().get(path).set('Authorization', as.viewer()).set('Range', 'bytes=0-2').buffer(true).parse(binary);
      expect(part.status).toBe(206);
      expect(part.body).toEqual(archive.subarray(0, 3));
      const past = await http().get(path).set('Authorization', as.viewer()).set('Range', `bytes=${archive.length}-`);
      expect(past.status).toBe(416);
      expect(past.headers['content-range']).toBe(`bytes */${archive.length}`);
      expect(opened).toEqual([{ start: 0, end: 2 }]);
    });

    it("gives an execution token its own execution's archive and nothing else", async () => {
      expect((await http().get('/api/v1/executions/7/pack').set('Authorization', as.execution(7))).status).toBe(200);
      expect(archives.ofExecution).toHaveBeenCalledWith(7);
      const other = await http().get('/api/v1/executions/8/pack').set('Authorization', as.execution(7));
      expect(other.status).toBe(403);
      expect(archives.ofExecution).toHaveBeenCalledTimes(1);
      expect((await http().get(path).set('Authorization', as.execution(7))).status).toBe(403);
    });
  });

  describe('uploads (the multipart receiver)', () => {
    const upload = (auth = as.admin()) => http().post('/api/v1/packs/upload').set('Authorization', auth);

    it('is for admins only', async () => {
      const res = await upload(as.operator()).attach('pack', archive, 'demo.tar.gz');
      expect(res.status).toBe(403);
      expect(res.body.error).toBe('this needs the admin role');
    });

    it('answers 400 for a body that is not multipart', async () => {
      const res = await upload().set('Content-Type', 'application/gzip').send(archive);
      expect(res.status).toBe(400);
      expect(res.body.error).toContain('multipart/form-data');
    });

    it('answers 422 for an unexpected field, a bad flag or a missing archive', async () => {
      const extra = await upload().field('other', 'x').attach('pack', archive, 'demo.tar.gz');
      expect(extra.status).toBe(422);
      expect(extra.body.details).toEqual([{ field: 'other', message: 'is not accepted; send the .tar.gz in the field "pack"' }]);
      const flag = await upload().field('force', 'maybe').attach('pack', archive, 'demo.tar.gz');
      expect(flag.body.details).toEqual([{ field: 'force', message: 'must be true or false' }]);
      const none = await upload().field('force', 'true');
      expect(none.status).toBe(422);
      expect(none.body.details).toEqual([{ field: 'pack', message: 'is required: a .tar.gz file' }]);
      const wrongPart = await upload().attach('archive', archive, 'demo.tar.gz');
      expect(wrongPart.body.details[0].field).toBe('archive');
    });

    it('answers 413 past the limit while streaming', async () => {
      const res = await upload().attach('pack', Buffer.alloc(4096, 1), 'demo.tar.gz');
      expect(res.status).toBe(413);
      expect(res.body.error).toBe('the pack archive exceeds the limit of 1024 bytes');
    });

    it('receives the archive and hands it to the checks (422 for one that is not a .tar.gz), leaving no staging behind', async () => {
      const res = await upload().field('skip_tests', 'true').attach('pack', archive, 'demo.tar.gz');
      expect(res.status).toBe(422);
      expect(res.body.error).toMatch(/^pack archive refused/);
      expect(await readdir(staging)).toEqual([]);
    });
  });

  describe('validation', () => {
    it('answers 422 for an invalid body or page', async () => {
      const res = await http().post('/api/v1/packs').set('Authorization', as.admin()).send({ ref: 'Bad Ref', label: '' });
      expect(res.status).toBe(422);
      expect(res.body.details.map((d: { field: string }) => d.field)).toEqual(expect.arrayContaining(['ref', 'label', 'version']));
      expect(packs.create).not.toHaveBeenCalled();
      expect((await http().get('/api/v1/packs?per_page=0').set('Authorization', as.viewer())).status).toBe(422);
      expect((await http().get('/api/v1/packs').set('Authorization', as.viewer())).status).toBe(200);
    });
  });
});
