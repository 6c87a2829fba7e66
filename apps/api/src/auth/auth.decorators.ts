import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';

export { IS_PUBLIC, Public } from '@attune/service-kit';
export const ALLOW_EXECUTION_TOKEN = 'attune:allow-execution-token';

/** An execution token may call this route; the handler must still check it is the token's own execution. */
export const AllowExecutionToken = () => SetMetadata(ALLOW_EXECUTION_TOKEN, true);

export type Principal =
  | { kind: 'user'; id: number; login: string; roles: string[] }
  | { kind: 'execution'; executionId: number };

export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  return ctx.switchToHttp().getRequest<{ principal: Principal }>().principal;
});
