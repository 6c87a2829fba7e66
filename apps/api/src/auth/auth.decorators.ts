import { applyDecorators, createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';

export { IS_PUBLIC, Public } from '@attune/service-kit';
export const ALLOW_EXECUTION_TOKEN = 'attune:allow-execution-token';

/**
 * An execution token may call this route. A route that names an execution uses OwnExecutionOnly
 * (execution-scope.guard.ts) instead, so the token reaches its own execution only.
 */
export const AllowExecutionToken = () => SetMetadata(ALLOW_EXECUTION_TOKEN, true);

export const LOG_WRITER_ONLY = 'attune:log-writer-only';

/**
 * Only a worker's log token (never a user or an action) may call this route: execution logs are
 * written by the platform alone.
 */
export const LogWriterOnly = () => applyDecorators(SetMetadata(LOG_WRITER_ONLY, true), ApiExtension(REQUIRED_ROLE_EXTENSION, 'worker log token'));

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const REQUIRED_ROLE = 'attune:required-role';

/**
 * The least role a user needs for the route. Roles are ordered: admin includes operator,
 * operator includes viewer. A route without this decorator needs any signed-in user.
 */
export const RequireRole = (role: Role) => applyDecorators(SetMetadata(REQUIRED_ROLE, role), ApiExtension(REQUIRED_ROLE_EXTENSION, role));

/** Where the OpenAPI document states each operation's role. */
export const REQUIRED_ROLE_EXTENSION = 'x-required-role';

/** The highest rank among a user's roles (0 when none is known). */
export function roleRank(roles: readonly string[]): number {
  return Math.max(0, ...roles.map((r) => ROLES.indexOf(r as Role) + 1));
}

export type Principal =
  /** A signed-in user, or an API key acting as its owner (`apiKey`: the key's id, roles capped by it). */
  | { kind: 'user'; id: number; login: string; roles: string[]; apiKey?: number }
  /** An execution token; a workflow task's also names its run (the parent execution) and task. */
  | { kind: 'execution'; executionId: number; workflowExecution?: number; taskName?: string }
  /** A worker storing one attempt's logs (its log token). */
  | { kind: 'log-writer'; executionId: number; attempt: number };

export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  return ctx.switchToHttp().getRequest<{ principal: Principal }>().principal;
});
