import { describe, expect, it } from '@jest/globals';
import { DomainError } from '@attune/contracts';
import { BadRequestException, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { classifyFailure, retryDelay } from './failure-policy';
import { PermanentMessageError } from './permanent-message.error';

describe('classifyFailure', () => {
  it('dead-letters a PermanentMessageError', () => {
    expect(classifyFailure(new PermanentMessageError('execution 9 does not exist')).action).toBe('dead-letter');
  });

  it.each(['BAD_REQUEST', 'NOT_FOUND', 'VALIDATION_ERROR'] as const)('dead-letters a DomainError %s', (code) => {
    expect(classifyFailure(new DomainError(code, 'no'))).toEqual({ action: 'dead-letter', reason: `DomainError ${code}` });
  });

  it.each(['CONFLICT', 'INTERNAL_ERROR', 'SERVICE_UNAVAILABLE', 'TOO_MANY_REQUESTS'] as const)('retries a DomainError %s', (code) => {
    expect(classifyFailure(new DomainError(code, 'later')).action).toBe('retry');
  });

  it('recognises a DomainError from another copy of the contracts module by its name', () => {
    const foreign = Object.assign(new Error('gone'), { name: 'DomainError', code: 'NOT_FOUND' });
    expect(classifyFailure(foreign).action).toBe('dead-letter');
  });

  it('dead-letters Nest 400/404 HTTP exceptions (e.g. a ValidationPipe) and retries 503', () => {
    expect(classifyFailure(new BadRequestException()).action).toBe('dead-letter');
    expect(classifyFailure(new NotFoundException()).action).toBe('dead-letter');
    expect(classifyFailure(new ServiceUnavailableException()).action).toBe('retry');
  });

  it('waits (no attempt spent) while the database cannot be reached', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    expect(classifyFailure(refused)).toEqual({ action: 'wait', reason: 'database unavailable' });
    expect(classifyFailure({ name: 'QueryFailedError', message: 'x', driverError: { code: '57P01' } })).toMatchObject({ action: 'wait' });
    expect(classifyFailure(Object.assign(new Error('duplicate key'), { code: '23505' }))).toMatchObject({ action: 'retry' });
  });

  it('retries anything else', () => {
    expect(classifyFailure(new Error('connection reset')).action).toBe('retry');
    expect(classifyFailure(new RpcException('x')).action).toBe('retry');
    expect(classifyFailure({ status: 'error', message: 'Internal server error' }).action).toBe('retry');
    expect(classifyFailure(undefined).action).toBe('retry');
  });

  it('PermanentMessageError is an Error that survives Nest\'s default RPC filter (getError answers itself)', () => {
    const err = new PermanentMessageError('bad');
    expect(err).toBeInstanceOf(Error);
    expect(err.getError()).toBe(err);
    expect(err.message).toBe('bad');
  });
});

describe('retryDelay', () => {
  it('doubles from the base and stops at the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((a) => retryDelay(a, 500, 30_000))).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000]);
    expect(retryDelay(1000, 500, 30_000)).toBe(30_000);
    expect(retryDelay(3, 0, 30_000)).toBe(0);
  });
});
