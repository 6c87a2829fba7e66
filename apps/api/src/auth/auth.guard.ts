import { DomainError, type ExecutionStatus, isTerminal } from '@attune/contracts';
import { ExecutionRepository, IdentityRepository } from '@attune/persistence';
import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { ALLOW_EXECUTION_TOKEN, IS_PUBLIC, LOG_WRITER_ONLY, type Principal, REQUIRED_ROLE, type Role, roleRank, ROLES } from './auth.decorators';
import { TokenService } from './token.service';
import { API_KEY_MARK, ApiKeysService } from '../api-keys/api-keys.service';

/**
 * Every route needs a bearer token unless marked @Public(). Access tokens carry a user, whose
 * current roles and state are read from the database on each request, so a deactivation, a
 * role change or a password change takes effect at once rather than when tokens expire.
 * Execution tokens are accepted only on routes marked @AllowExecutionToken(), and only while
 * their execution is not terminal.
 *
 * That check reads the execution's status (a primary-key lookup of one column) on each request
 * with an execution token: such requests are few (an action's own artifact calls), and a cache of
 * running executions would let a token outlive its execution by the cache's lifetime. Terminal is
 * final, so terminal ids are remembered (bounded) and refused without a lookup.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenService,
    private readonly identities: IdentityRepository,
    private readonly executions: ExecutionRepository,
    private readonly apiKeys: ApiKeysService,
  ) {}

  private readonly terminal = new Set<number>();

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const req = ctx.switchToHttp().getRequest<Request & { principal?: Principal }>();
    const header = req.headers.authorization;
    if (!header) throw new DomainError('UNAUTHORIZED', 'missing bearer token');
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new DomainError('UNAUTHORIZED', 'Authorization header must be "Bearer <token>"');
    const logWriterOnly = this.reflector.getAllAndOverride<boolean>(LOG_WRITER_ONLY, targets) === true;
    if (match[1].startsWith(API_KEY_MARK)) {
      // An API key acts as its owner (roles capped by the key), like an access token.
      if (logWriterOnly) throw new DomainError('FORBIDDEN', 'only the platform writes execution logs');
      req.principal = await this.apiKeys.authenticate(match[1]);
      this.assertRole(req.principal.roles, targets);
      return true;
    }
    const claims = await this.tokens.verify(match[1]);
    if (logWriterOnly !== (claims.typ === 'execution-log')) {
      throw new DomainError('FORBIDDEN', logWriterOnly ? 'only the platform writes execution logs' : 'a log token may only store logs');
    }
    switch (claims.typ) {
      case 'access': {
        const identity = await this.identities.findById(Number(claims.sub));
        this.tokens.assertCurrent(identity, claims);
        req.principal = { kind: 'user', id: identity.id, login: identity.login, roles: identity.roles };
        this.assertRole(identity.roles, targets);
        return true;
      }
      case 'execution':
        if (!this.reflector.getAllAndOverride<boolean>(ALLOW_EXECUTION_TOKEN, targets)) {
          throw new DomainError('FORBIDDEN', 'an execution token may not call this route');
        }
        await this.assertRunning(claims.execution_id);
        req.principal = {
          kind: 'execution',
          executionId: claims.execution_id,
          ...(claims.workflow_execution ? { workflowExecution: claims.workflow_execution, taskName: claims.task_name } : {}),
        };
        return true;
      case 'execution-log':
        req.principal = { kind: 'log-writer', executionId: claims.execution_id, attempt: claims.attempt };
        return true;
      default:
        throw new DomainError('UNAUTHORIZED', 'a refresh token cannot authorize requests; exchange it at /auth/refresh');
    }
  }

  private assertRole(roles: string[], targets: Parameters<Reflector['getAllAndOverride']>[1]): void {
    const required = this.reflector.getAllAndOverride<Role | undefined>(REQUIRED_ROLE, targets);
    if (required && roleRank(roles) < ROLES.indexOf(required) + 1) {
      throw new DomainError('FORBIDDEN', `this needs the ${required} role`);
    }
  }

  private async assertRunning(executionId: number): Promise<void> {
    if (!this.terminal.has(executionId)) {
      const status = await this.executions.findStatus(executionId);
      if (status === null) throw new DomainError('UNAUTHORIZED', 'the execution of this token no longer exists');
      if (!isTerminal(status as ExecutionStatus)) return;
      this.terminal.add(executionId);
      if (this.terminal.size > TERMINAL_CACHE_SIZE) this.terminal.delete(this.terminal.values().next().value as number);
    }
    throw new DomainError('UNAUTHORIZED', 'execution token revoked: its execution has finished');
  }
}

const TERMINAL_CACHE_SIZE = 10_000;
