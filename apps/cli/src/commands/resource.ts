import type { Command } from 'commander';
import type { CliContext } from '../cli-context';
import type { Column } from '../output/format';
import type { Query } from '../http/api-client';
import { type JsonOpt, type ListOpt, parseId, printList, refsOf, withJson, withList } from './common';
import { withSuggestions } from './suggest';

/**
 * A kind of thing the API lists and shows (rules, triggers, events…): how to address one, the
 * columns of its list and the fields of its page. The list/show/enable/disable/delete commands of
 * every such noun are made from this, so they behave alike.
 */
export interface Resource<T> {
  /** API path of the collection, e.g. /api/v1/rules. */
  path: string;
  /** What a single one is called in messages. */
  noun: string;
  /** Addressed by `ref` (pack.name; a ref the server does not know gets suggestions) or by numeric `id`. */
  key: 'ref' | 'id';
  columns: Column<T>[];
  fields: (item: T) => Array<[string, unknown]>;
  /** Shown below the fields (a related table, say). */
  more?: (item: T, ctx: CliContext, opts: JsonOpt & { wide?: boolean }) => string | Promise<string>;
}

/** The path of one, from the argument (a ref, or an id checked to be one). */
export function itemPath<T>(r: Resource<T>, arg: string): string {
  return r.key === 'id' ? `${r.path}/${parseId(arg, `${r.noun} id`)}` : `${r.path}/${encodeURIComponent(arg.trim())}`;
}

/** A request about one; when it is addressed by a ref the server does not know, the refs that come close. */
function aboutOne<T, R>(ctx: CliContext, r: Resource<T>, arg: string, send: () => Promise<R>): Promise<R> {
  return r.key === 'ref' ? withSuggestions(arg, send, refsOf(ctx.api, r.path)) : send();
}

/** One, by ref or id. */
export function fetchOne<T>(ctx: CliContext, r: Resource<T>, arg: string): Promise<T> {
  return aboutOne(ctx, r, arg, () => ctx.api.get<T>(itemPath(r, arg)));
}

export function addList<T>(
  parent: Command,
  ctx: CliContext,
  r: Resource<T>,
  opts: { description: string; filters?: Array<{ flag: string; help: string; query: string; parse?: (v: string) => unknown }> },
): Command {
  const cmd = withList(parent.command('list').description(opts.description));
  for (const f of opts.filters ?? []) cmd.option(f.flag, f.help, f.parse as never);
  return cmd.action(async (o: ListOpt & Record<string, unknown>) => {
    const query: Query = {};
    for (const f of opts.filters ?? []) {
      const name = f.flag.replace(/^--/, '').split(' ')[0].replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
      if (o[name] !== undefined) query[f.query] = o[name] as string;
    }
    await printList(ctx, o, { path: r.path, query, columns: r.columns, empty: `No ${r.noun}s.\n` });
  });
}

export function addShow<T>(parent: Command, ctx: CliContext, r: Resource<T>, description: string): Command {
  return withJson(parent.command('show').description(description).argument(`<${r.key}>`, `${r.noun} ${r.key}`))
    .option('--wide', 'tables at full width')
    .action(async (arg: string, o: JsonOpt & { wide?: boolean }) => {
      const item = await fetchOne(ctx, r, arg);
      const out = ctx.output(o);
      const more = !o.json && r.more ? await r.more(item, ctx, o) : '';
      out.fields(item, r.fields(item), more);
    });
}

/** A POST or DELETE on one (enable, disable, delete), answering the thing as it is after. */
export function addAction<T>(
  parent: Command,
  ctx: CliContext,
  r: Resource<T>,
  spec: { name: string; description: string; method: 'POST' | 'PUT' | 'DELETE'; suffix?: string; body?: unknown; done: (arg: string) => string },
): Command {
  return withJson(parent.command(spec.name).description(spec.description).argument(`<${r.key}>`, `${r.noun} ${r.key}`)).action(
    async (arg: string, o: JsonOpt) => {
      const path = itemPath(r, arg) + (spec.suffix ?? '');
      const data = await aboutOne(ctx, r, arg, () => ctx.api.data<T>(spec.method, path, spec.body === undefined ? {} : { json: spec.body }));
      ctx.output(o).result(data ?? { [r.key]: arg, done: spec.name }, () => spec.done(arg));
    },
  );
}
