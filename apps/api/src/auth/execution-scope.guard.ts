import { DomainError } from '@attune/contracts';
import { applyDecorators, type CanActivate, type ExecutionContext, Injectable, SetMetadata, UseGuards } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { MAX_ISSUED_ID, parseIdText } from '../common/id.pipe';
import { ALLOW_EXECUTION_TOKEN, type Principal } from './auth.decorators';

export const EXECUTION_SCOPE_PARAM = 'attune:execution-scope-param';

/**
 * Whether `principal` may touch execution `id`: users may (their roles decide), an execution
 * token or a worker's log token only its own execution. The one "own execution only" rule.
 */
export function assertExecutionScope(principal: Principal, id: number): void {
  if (principal.kind === 'user' || principal.executionId === id) return;
  throw new DomainError(
    'FORBIDDEN',
    principal.kind === 'log-writer' ? 'this log token is for another execution' : 'an execution token may only reach its own execution',
  );
}

/**
 * Applies assertExecutionScope to the execution id in the route parameter named by
 * @ExecutionScoped. It runs after AuthGuard (route guards follow global ones) and before the
 * pipes, so a parameter that is not an issued id is left to idPipe (400/404, as for users).
 */
@Injectable()
export class ExecutionScopeGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(ctx: ExecutionContext): boolean {
    const param = this.reflector.getAllAndOverride<string | undefined>(EXECUTION_SCOPE_PARAM, [ctx.getHandler(), ctx.getClass()]);
    const req = ctx.switchToHttp().getRequest<Request & { principal?: Principal }>();
    if (!param || !req.principal) return true;
    const id = parseIdText(req.params[param]);
    if (id !== undefined && id <= BigInt(MAX_ISSUED_ID)) assertExecutionScope(req.principal, Number(id));
    return true;
  }
}

/** The route names an execution in `param`: a token bound to an execution may only name its own. */
export const ExecutionScoped = (param = 'id') => applyDecorators(SetMetadata(EXECUTION_SCOPE_PARAM, param), UseGuards(ExecutionScopeGuard));

/** An execution token may call this route, for its own execution (named in `param`) only. */
export const OwnExecutionOnly = (param = 'id') => applyDecorators(SetMetadata(ALLOW_EXECUTION_TOKEN, true), ExecutionScoped(param));
