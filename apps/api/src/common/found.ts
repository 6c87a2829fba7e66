import { DomainError } from '@attune/contracts';

/**
 * The row a lookup found, or NOT_FOUND (404) saying `<what> not found`. `what` names the row as
 * the answer should: `execution 7`, `rule "core.x"`.
 */
export function found<T>(row: T | null | undefined, what: string): T {
  if (row === null || row === undefined) throw new DomainError('NOT_FOUND', `${what} not found`);
  return row;
}
