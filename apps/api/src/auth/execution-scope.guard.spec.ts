import { DomainError } from '@attune/contracts';
import { describe, expect, it } from '@jest/globals';
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Principal } from './auth.decorators';
import { ALLOW_EXECUTION_TOKEN } from './auth.decorators';
import { assertExecutionScope, ExecutionScoped, ExecutionScopeGuard, OwnExecutionOnly } from './execution-scope.guard';

class Routes {
  @OwnExecutionOnly() byId() {}
  @ExecutionScoped('execution') byOtherParam() {}
  unscoped() {}
}

const user: Principal = { kind: 'user', id: 1, login: 'u', roles: ['viewer'] };
const token: Principal = { kind: 'execution', executionId: 7 };
const logWriter: Principal = { kind: 'log-writer', executionId: 7, attempt: 1 };

function allowed(handler: keyof Routes, principal: Principal | undefined, params: Record<string, string>): boolean {
  const ctx = {
    getHandler: () => Routes.prototype[handler],
    getClass: () => Routes,
    switchToHttp: () => ({ getRequest: () => ({ principal, params }) }),
  } as unknown as ExecutionContext;
  return new ExecutionScopeGuard(new Reflector()).canActivate(ctx);
}

function refusal(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    return err as DomainError;
  }
  throw new Error('not refused');
}

describe('assertExecutionScope', () => {
  it('lets users reach any execution, and tokens bound to one only that one', () => {
    expect(() => assertExecutionScope(user, 8)).not.toThrow();
    expect(() => assertExecutionScope(token, 7)).not.toThrow();
    expect(() => assertExecutionScope(logWriter, 7)).not.toThrow();
    expect(refusal(() => assertExecutionScope(token, 8))).toMatchObject({ code: 'FORBIDDEN', message: 'an execution token may only reach its own execution' });
    expect(refusal(() => assertExecutionScope(logWriter, 8))).toMatchObject({ code: 'FORBIDDEN', message: 'this log token is for another execution' });
  });
});

describe('ExecutionScopeGuard', () => {
  it('checks the route parameter the decorator names', () => {
    expect(allowed('byId', token, { id: '7' })).toBe(true);
    expect(refusal(() => allowed('byId', token, { id: '8' })).code).toBe('FORBIDDEN');
    expect(allowed('byOtherParam', logWriter, { execution: '7', id: '8' })).toBe(true);
    expect(refusal(() => allowed('byOtherParam', logWriter, { execution: '8' })).code).toBe('FORBIDDEN');
    expect(allowed('byId', user, { id: '8' })).toBe(true);
  });

  it('leaves routes without the decorator, and ids that are not issued ids, to others (the id pipe answers 400/404)', () => {
    expect(allowed('unscoped', token, { id: '8' })).toBe(true);
    for (const id of ['abc', '0', '07', '-7', '9223372036854775807']) expect(allowed('byId', token, { id })).toBe(true);
  });

  it('lets execution tokens call OwnExecutionOnly routes (AuthGuard reads the same metadata)', () => {
    const reflector = new Reflector();
    expect(reflector.get(ALLOW_EXECUTION_TOKEN, Routes.prototype.byId)).toBe(true);
    expect(reflector.get(ALLOW_EXECUTION_TOKEN, Routes.prototype.byOtherParam)).toBeUndefined();
  });
});
