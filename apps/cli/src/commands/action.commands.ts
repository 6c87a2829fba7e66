import type { Command } from 'commander';
import type { CliContext } from '../cli-context';
import { formatDate, renderTable } from '../output/format';
import { positiveInt } from '../params/parse-params';
import { DEFAULT_LIMIT, type JsonOpt, listPages, moreNote, withJson } from './common';

export interface ParamSchema {
  type?: string;
  properties?: Record<string, { type?: string | string[]; description?: string; default?: unknown; secret?: boolean; enum?: unknown[] }>;
  required?: string[];
}

export interface ActionData {
  id: number;
  ref: string;
  pack_ref: string;
  label: string;
  description: string | null;
  runtime: string;
  entrypoint: string;
  inline: boolean;
  param_schema: ParamSchema;
  out_schema: unknown;
  output_format: string;
  timeout_seconds: number | null;
  enabled: boolean;
  on_worker_lost: string;
  created: string;
  updated: string;
}

export function getAction(ctx: CliContext, ref: string): Promise<ActionData> {
  return ctx.api.get<ActionData>(`/api/v1/actions/${encodeURIComponent(ref)}`);
}

export function registerActionCommands(program: Command, ctx: CliContext): void {
  const action = program.command('action').description('List and inspect actions');

  withJson(
    action
      .command('list')
      .description('List actions')
      .option('--pack <ref>', 'only the actions of this pack')
      .option('--limit <n>', `at most this many (default ${DEFAULT_LIMIT})`, positiveInt('--limit'), DEFAULT_LIMIT),
  ).action(async (opts: JsonOpt & { pack?: string; limit: number }) => {
    const { items, total } = await listPages<ActionData>(ctx.api, '/api/v1/actions', { pack_ref: opts.pack }, opts.limit);
    const out = ctx.output(opts);
    out.table(items, items, [
      { header: 'REF', value: (a) => a.ref },
      { header: 'RUNTIME', value: (a) => a.runtime },
      { header: 'ENABLED', value: (a) => (a.enabled ? 'yes' : 'no') },
      { header: 'DESCRIPTION', value: (a) => a.description ?? a.label, max: 60 },
    ], 'No actions.\n');
    out.hint(moreNote(items.length, total));
  });

  withJson(action.command('show').description('Show an action and its parameters').argument('<ref>', 'action ref, pack.name')).action(
    async (ref: string, opts: JsonOpt) => {
      const a = await getAction(ctx, ref);
      const params = Object.entries(a.param_schema?.properties ?? {});
      const required = new Set(a.param_schema?.required ?? []);
      let more = '';
      if (params.length) {
        more =
          '\nParameters:\n' +
          renderTable(params, [
            { header: 'NAME', value: ([n]) => n },
            { header: 'TYPE', value: ([, p]) => (Array.isArray(p.type) ? p.type.join('|') : p.type) ?? 'any' },
            { header: 'REQUIRED', value: ([n]) => (required.has(n) ? 'yes' : 'no') },
            { header: 'DEFAULT', value: ([, p]) => (p.default === undefined ? '-' : JSON.stringify(p.default)) },
            { header: 'DESCRIPTION', value: ([, p]) => (p.secret ? '(secret) ' : '') + (p.description ?? ''), max: 60 },
          ]);
      } else more = '\nParameters: none\n';
      ctx.output(opts).fields(
        a,
        [
          ['Ref', a.ref],
          ['Label', a.label],
          ['Description', a.description],
          ['Pack', a.pack_ref],
          ['Runtime', a.runtime],
          ['Entrypoint', a.inline ? '(inline script)' : a.entrypoint],
          ['Output format', a.output_format],
          ['Timeout', a.timeout_seconds ? `${a.timeout_seconds}s` : 'default'],
          ['Enabled', a.enabled ? 'yes' : 'no'],
          ['Updated', formatDate(a.updated)],
        ],
        more,
      );
    },
  );
}
