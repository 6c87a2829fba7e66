import type { Action } from '@attune/api-client';
import type { Command } from 'commander';
import type { CliContext } from '../cli-context';
import { formatDate, renderTable, yesNo } from '../output/format';
import { identityFields, REF_COLUMN } from './columns';
import { type JsonOpt, type ListOpt, printList, refsOf, withJson, withLimit, withWide } from './common';
import { withSuggestions } from './suggest';

export interface ParamSchema {
  type?: string;
  properties?: Record<string, { type?: string | string[]; description?: string; default?: unknown; secret?: boolean; enum?: unknown[] }>;
  required?: string[];
}

/** The parameters of a schema as a table (`\nParameters:\n…`), or `\nParameters: none\n`. */
export function renderParameters(schema: ParamSchema | undefined): string {
  const params = Object.entries(schema?.properties ?? {});
  if (!params.length) return '\nParameters: none\n';
  const required = new Set(schema?.required ?? []);
  return (
    '\nParameters:\n' +
    renderTable(params, [
      { header: 'NAME', value: ([n]) => n },
      { header: 'TYPE', value: ([, p]) => (Array.isArray(p.type) ? p.type.join('|') : p.type) ?? 'any' },
      { header: 'REQUIRED', value: ([n]) => (required.has(n) ? 'yes' : 'no') },
      { header: 'DEFAULT', value: ([, p]) => (p.default === undefined ? '-' : JSON.stringify(p.default)), max: 40 },
      { header: 'DESCRIPTION', value: ([, p]) => (p.secret ? '(secret) ' : '') + (p.description ?? ''), max: 60 },
    ])
  );
}

/** An action by ref; an unknown ref gets "did you mean" suggestions. */
export function getAction(ctx: CliContext, ref: string): Promise<Action> {
  return withSuggestions(ref, () => ctx.api.get<Action>(`/api/v1/actions/${encodeURIComponent(ref)}`), refsOf(ctx.api, '/api/v1/actions'));
}

export function registerActionCommands(program: Command, ctx: CliContext): void {
  const action = program.command('action').description('List and inspect actions');

  const list = action.command('list').description('List actions').option('--pack <ref>', 'only the actions of this pack');
  withJson(withLimit(withWide(list))).action((opts: ListOpt & { pack?: string }) =>
    printList<Action>(ctx, opts, {
      path: '/api/v1/actions',
      query: { pack_ref: opts.pack },
      columns: [
        REF_COLUMN,
        { header: 'RUNTIME', value: (a) => a.runtime },
        { header: 'ENABLED', value: (a) => yesNo(a.enabled) },
        { header: 'DESCRIPTION', value: (a) => a.description ?? a.label, max: 60 },
      ],
      empty: 'No actions.\n',
    }),
  );

  withJson(action.command('show').description('Show an action and its parameters').argument('<ref>', 'action ref, pack.name')).action(
    async (ref: string, opts: JsonOpt) => {
      const a = await getAction(ctx, ref);
      const more = renderParameters(a.param_schema);
      ctx.output(opts).fields(
        a,
        [
          ...identityFields(a),
          ['Pack', a.pack_ref],
          ['Runtime', a.runtime],
          ['Entrypoint', a.inline ? '(inline script)' : a.entrypoint],
          ['Output format', a.output_format],
          ['Timeout', a.timeout_seconds ? `${a.timeout_seconds}s` : 'default'],
          ['Enabled', yesNo(a.enabled)],
          ['Updated', formatDate(a.updated)],
        ],
        more,
      );
    },
  );
}
