import type { ExecutionLogV1 } from '@attune/contracts';
import { jest } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogSpool } from './log-spool';
import { fileSource, LogNotStoredError, uploadLog } from './log-uploader';

const silent = { warn: jest.fn(), info: jest.fn(), error: jest.fn() } as never;

interface Received {
  body: Buffer;
  trailers: Record<string, string | undefined>;
  headers: IncomingMessage['headers'];
}

describe('uploadLog', () => {
  let dir: string;
  let server: Server;
  let url: string;
  let received: Received[];
  let status: number;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'upload-'));
    received = [];
    status = 201;
    server = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        const body = Buffer.concat(parts);
        received.push({ body, trailers: req.trailers, headers: req.headers });
        const stored = { size_bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') };
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(status === 201 ? { data: stored } : { error: 'not now' }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  const upload = (source: Parameters<typeof uploadLog>[0]['source'], over: Partial<Parameters<typeof uploadLog>[0]> = {}) =>
    uploadLog({ apiUrl: url, executionId: 7, stream: 'stdout', token: 'log-token', source, deadline: Date.now() + 5000, logger: silent, ...over });

  it('sends a finished file with its size as a trailer, with the log token, and answers the stored SHA-256', async () => {
    const path = join(dir, 'log');
    writeFileSync(path, 'hello\n');
    const sha = await upload(fileSource(path, { totalBytes: 6, truncated: false }));
    expect(sha).toBe(createHash('sha256').update('hello\n').digest('hex'));
    expect(received).toHaveLength(1);
    expect(received[0].body.toString()).toBe('hello\n');
    expect(received[0].headers.authorization).toBe('Bearer log-token');
    expect(received[0].trailers).toMatchObject({ 'x-log-size': '6', 'x-log-truncated': 'false' });
  });

  it('follows a growing spool and ends with the final bytes', async () => {
    const spool = new LogSpool(async (_c: ExecutionLogV1) => undefined, {
      executionId: 7, attempt: 1, stream: 'stdout', path: join(dir, 'spool'), maxBytes: 1e9, flushMs: 5, liveBytesPerSecond: 1e9, logger: silent,
    });
    writeSync(spool.fd, 'first ');
    const sent = upload({ read: () => spool.follow(), final: () => spool.final }, { once: true });
    await new Promise((r) => setTimeout(r, 100));
    writeSync(spool.fd, 'second\n');
    await spool.end();
    const sha = await sent;
    spool.close();
    expect(received[0].body.toString()).toBe('first second\n');
    expect(received[0].trailers).toMatchObject({ 'x-log-size': '13' });
    expect(sha).toBe(createHash('sha256').update('first second\n').digest('hex'));
  });

  it('refuses an answer that stored another size than was sent', async () => {
    server.removeAllListeners('request');
    server.on('request', (req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(201).end(JSON.stringify({ data: { size_bytes: 1, sha256: 'a'.repeat(64) } })));
    });
    const path = join(dir, 'log');
    writeFileSync(path, 'two');
    await expect(upload(fileSource(path, { totalBytes: 3, truncated: false }))).rejects.toThrow(/stored 1 bytes of 3/);
  });

  it('gives up after one attempt in `once` mode, and retries until the deadline otherwise', async () => {
    status = 503;
    const path = join(dir, 'log');
    writeFileSync(path, 'x');
    await expect(upload(fileSource(path, { totalBytes: 1, truncated: false }), { once: true })).rejects.toBeInstanceOf(LogNotStoredError);
    expect(received).toHaveLength(1);
    await expect(upload(fileSource(path, { totalBytes: 1, truncated: false }), { deadline: Date.now() + 1500 })).rejects.toBeInstanceOf(LogNotStoredError);
    expect(received.length).toBeGreaterThan(2);
  });
});
