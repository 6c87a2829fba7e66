import { DomainError } from '@attune/contracts';
import { type ArgumentsHost, NotFoundException } from '@nestjs/common';
import { ApiExceptionFilter } from './api-exception.filter';

function run(exception: unknown) {
  const res = {
    headersSent: false,
    statusCode: 0,
    body: undefined as unknown,
    headers: {} as Record<string, string>,
    setHeader(name: string, value: string) {
      this.headers[name.toLowerCase()] = value;
    },
    status(code: number) {
      this.statusCode = code;
      return this;
    },
    json(body: unknown) {
      this.body = body;
      return this;
    },
  };
  const host = { switchToHttp: () => ({ getResponse: () => res }) } as unknown as ArgumentsHost;
  new ApiExceptionFilter().catch(exception, host);
  return res;
}

describe('ApiExceptionFilter', () => {
  it('translates domain errors with their code and details', () => {
    const res = run(new DomainError('VALIDATION_ERROR', 'bad', [{ field: 'a', message: 'm' }]));
    expect(res.statusCode).toBe(422);
    expect(res.body).toEqual({ error: 'bad', code: 'VALIDATION_ERROR', details: [{ field: 'a', message: 'm' }] });
  });

  it('translates Nest HTTP exceptions', () => {
    const res = run(new NotFoundException('Cannot GET /x'));
    expect(res.statusCode).toBe(404);
    expect(res.body).toEqual({ error: 'Cannot GET /x', code: 'NOT_FOUND' });
  });

  it('translates body-parser failures', () => {
    const res = run(Object.assign(new Error('Unexpected end'), { type: 'entity.parse.failed', status: 400, expose: true }));
    expect(res.statusCode).toBe(400);
    expect(res.body).toEqual({ error: 'request body is not valid JSON', code: 'BAD_REQUEST' });
    const big = run(Object.assign(new Error('request entity too large'), { type: 'entity.too.large', status: 413, expose: true }));
    expect(big.statusCode).toBe(413);
    expect(big.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });

  it('answers 503 with Retry-After when the database cannot be reached, never 500', () => {
    const refused = Object.assign(new AggregateError([Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })]), {});
    const shutdown = Object.assign(new Error('query failed'), { driverError: { code: '57P01', message: 'terminating connection due to administrator command' } });
    for (const err of [refused, shutdown, new Error('Connection terminated unexpectedly')]) {
      const res = run(err);
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('2');
      expect(res.body).toEqual({ error: expect.stringContaining('database'), code: 'SERVICE_UNAVAILABLE' });
    }
  });

  it('answers unknown errors with a 500 that leaks nothing but an id', () => {
    const res = run(new Error('password=hunter2 in a stack'));
    expect(res.statusCode).toBe(500);
    expect(res.body).toEqual({ error: expect.stringMatching(/^internal error \(id [0-9a-f-]{36}\)$/), code: 'INTERNAL_ERROR' });
  });
});
