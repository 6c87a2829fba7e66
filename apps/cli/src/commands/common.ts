import type { Artifact, Page } from '@attune/api-client';
import { Argument, type Command } from 'commander';
import type { CliContext } from '../cli-context';
import { CliError, ExitCode, usageError } from '../errors/exit-codes';
import type { Column } from '../output/format';
import { positiveInt } from '../params/parse-params';
import type { ApiClient, Query } from '../http/api-client';

export interface JsonOpt {
  json?: boolean;
}

export const JSON_HELP = 'print machine-readable JSON (the API\'s data) instead of tables';

/** Every command takes --json. */
export function withJson(cmd: Command): Command {
  return cmd.option('--json', JSON_HELP);
}

export interface ListOpt extends JsonOpt {
  wide?: boolean;
  limit: number;
}

/** --wide: tables at full width instead of fitted to the terminal. */
export function withWide(cmd: Command): Command {
  return cmd.option('--wide', 'show every column at full width (by default a table fits the terminal)');
}

/** --limit: how many a list shows at most. */
export function withLimit(cmd: Command): Command {
  return cmd.option('--limit <n>', `at most this many (default ${DEFAULT_LIMIT})`, positiveInt('--limit'), DEFAULT_LIMIT);
}

/** A list command: --json, --wide and --limit. */
export function withList(cmd: Command): Command {
  return withLimit(withWide(withJson(cmd)));
}

/** -f, --force: a deleting command does not ask first. */
export function withForce(cmd: Command): Command {
  return cmd.option('-f, --force', 'do not ask for confirmation');
}

/** Asks "Delete …? (y/N)" unless --force; any answer but yes stops the command, nothing deleted. */
export async function confirmDelete(ctx: CliContext, opts: { force?: boolean }, what: string): Promise<void> {
  if (opts.force) return;
  if (!(await ctx.prompter.confirm(`Delete ${what}?`))) throw new CliError('Not deleted.', ExitCode.Failed);
}

/** A numeric id argument. */
export function parseId(value: string, what = 'id'): number {
  if (!/^[1-9][0-9]{0,15}$/.test(value.trim()) || !Number.isSafeInteger(Number(value))) throw usageError(`${what} must be a positive integer, not "${value}"`);
  return Number(value.trim());
}

/** An `<id>` argument that reaches the action as a number, checked by parseId (`what` names it in the error). */
export function idArgument(what: string, description = what): Argument {
  return new Argument('<id>', description).argParser((value) => parseId(value, what));
}

export const DEFAULT_LIMIT = 50;
const PAGE_MAX = 100;

/** Up to `limit` items of a paginated list, fetching as many pages as that takes. */
export async function listPages<T>(api: ApiClient, path: string, query: Query, limit: number): Promise<{ items: T[]; total: number }> {
  const items: T[] = [];
  const perPage = Math.min(limit, PAGE_MAX);
  let total = 0;
  for (let page = 1; items.length < limit; page++) {
    const res = await api.json<Page<T>>('GET', path, { query: { ...query, page, per_page: perPage } });
    const data = res?.data ?? [];
    total = res?.pagination?.total ?? data.length;
    items.push(...data.slice(0, limit - items.length));
    if (data.length < perPage || page >= (res?.pagination?.total_pages ?? page)) break;
  }
  return { items, total };
}

/** "Showing 50 of 120" when a list was cut by --limit. */
export function moreNote(shown: number, total: number): string {
  return total > shown ? `Showing ${shown} of ${total}; use --limit to see more.\n` : '';
}

/** The refs of a collection (its first 500): the candidates of a "did you mean". */
export function refsOf(api: ApiClient, path: string): () => Promise<string[]> {
  return async () => (await listPages<{ ref: string }>(api, path, {}, 500)).items.map((item) => item.ref);
}

export interface ListSpec<T> {
  /** API path of the collection. */
  path: string;
  query?: Query;
  /** The table's columns, or how to choose them from the items shown. */
  columns: Column<T>[] | ((items: T[]) => Column<T>[]);
  /** What an empty list says, e.g. "No rules.\n". */
  empty: string;
}

/**
 * What every list command does: up to --limit items, page by page; a table of them (the API's
 * data with --json); and on stderr, when --limit cut the list, how many there are in all.
 */
export async function printList<T>(ctx: CliContext, opts: JsonOpt & { wide?: boolean; limit: number }, list: ListSpec<T>): Promise<void> {
  const { items, total } = await listPages<T>(ctx.api, list.path, list.query ?? {}, opts.limit);
  const out = ctx.output(opts);
  out.table(items, items, typeof list.columns === 'function' ? list.columns(items) : list.columns, list.empty);
  out.hint(moreNote(items.length, total));
}

/** An artifact by numeric id or by ref (an all-digit argument is an id). */
export function getArtifact(api: ApiClient, idOrRef: string): Promise<Artifact> {
  const v = idOrRef.trim();
  if (!v) throw usageError('give an artifact id or ref');
  if (/^\d+$/.test(v)) return api.get<Artifact>(`/api/v1/artifacts/${parseId(v, 'artifact id')}`);
  return api.get<Artifact>(`/api/v1/artifacts/ref/${encodeURIComponent(v)}`);
}
