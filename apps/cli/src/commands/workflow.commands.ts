import type { Workflow, WorkflowSummary } from '@attune/api-client';
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { CliContext } from '../cli-context';
import { CliError, ExitCode, usageError } from '../errors/exit-codes';
import { formatDate, renderTable, yesNo } from '../output/format';
import { renderParameters } from './action.commands';
import { identityFields, REF_COLUMN } from './columns';
import { confirmDelete, type JsonOpt, type ListOpt, printList, withForce, withJson, withLimit } from './common';

interface TaskDoc {
  name?: unknown;
  action?: unknown;
  depends_on?: unknown;
  with_items?: unknown;
  next?: Array<{ do?: unknown }>;
  on_success?: unknown;
  on_failure?: unknown;
  on_complete?: unknown;
  on_timeout?: unknown;
}

const names = (v: unknown): string[] =>
  (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]).map((x) => (x && typeof x === 'object' ? String((x as { do?: unknown }).do ?? '') : String(x)));

/** Where a task leads, in short: `→ a, b` for transitions, `after x` for depends_on. */
function taskFlow(t: TaskDoc): string {
  const to = [
    ...(t.next ?? []).flatMap((n) => names(n?.do)),
    ...(['on_success', 'on_failure', 'on_complete', 'on_timeout'] as const).flatMap((k) => names(t[k])),
  ].filter(Boolean);
  const after = names(t.depends_on);
  return [to.length ? `→ ${[...new Set(to)].join(', ')}` : '', after.length ? `after ${after.join(', ')}` : ''].filter(Boolean).join('; ');
}

/**
 * The POST /api/v1/workflows body from a workflow YAML file (Attune's standalone form: `ref`,
 * `label`, `version`, `description`, `tags` beside the definition). Options win over the file;
 * the whole document is the definition (the server keeps those descriptive keys as metadata).
 */
export function workflowBodyFromYaml(
  doc: unknown,
  opts: { ref?: string; pack?: string; label?: string; version?: string },
  file: string,
): Record<string, unknown> {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw usageError(`${file} must hold a YAML mapping (a workflow definition)`);
  const d = doc as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);
  let ref = opts.ref ?? str(d.ref);
  if (!ref && opts.pack && str(d.name)) ref = `${opts.pack}.${str(d.name)}`;
  if (!ref) throw usageError(`give --ref pack.name (or a ref in ${file})`);
  const packRef = opts.pack ?? ref.split('.')[0];
  return {
    ref,
    pack_ref: packRef,
    label: opts.label ?? str(d.label) ?? ref.split('.').slice(1).join('.'),
    version: opts.version ?? str(d.version) ?? '1.0.0',
    ...(typeof d.description === 'string' ? { description: d.description } : {}),
    ...(Array.isArray(d.tags) ? { tags: d.tags.map(String) } : {}),
    ...(typeof d.enabled === 'boolean' ? { enabled: d.enabled } : {}),
    definition: d,
  };
}

export function registerWorkflowCommands(program: Command, ctx: CliContext): void {
  const workflow = program.command('workflow').description('List, inspect, create and delete workflows (actions that run tasks as child executions)');

  const list = workflow
    .command('list')
    .description('List workflows')
    .option('--pack <ref>', 'only the workflows of this pack')
    .option('--tag <tag>', 'only those carrying this tag (repeat for any of several)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--search <text>', 'text in the ref, label or description')
    .option('--enabled', 'only enabled workflows')
    .option('--disabled', 'only disabled workflows');
  withJson(withLimit(list)).action(async (opts: ListOpt & { pack?: string; tag?: string[]; search?: string; enabled?: boolean; disabled?: boolean }) => {
    if (opts.enabled && opts.disabled) throw usageError('give --enabled or --disabled, not both');
    await printList<WorkflowSummary>(ctx, opts, {
      path: '/api/v1/workflows',
      query: { pack_ref: opts.pack, tags: opts.tag?.join(','), search: opts.search, enabled: opts.enabled ? true : opts.disabled ? false : undefined },
      columns: [
        REF_COLUMN,
        { header: 'VERSION', value: (w) => w.version },
        { header: 'TASKS', value: (w) => w.task_count, right: true },
        { header: 'ENABLED', value: (w) => yesNo(w.enabled) },
        { header: 'TAGS', value: (w) => w.tags.join(', '), max: 30 },
        { header: 'DESCRIPTION', value: (w) => w.description ?? w.label, max: 50 },
      ],
      empty: 'No workflows.\n',
    });
  });

  withJson(workflow.command('show').description('Show a workflow: its parameters and tasks').argument('<ref>', 'workflow ref, pack.name')).action(
    async (ref: string, opts: JsonOpt) => {
      const w = await ctx.api.get<Workflow>(`/api/v1/workflows/${encodeURIComponent(ref)}`);
      const tasks = (Array.isArray(w.definition.tasks) ? w.definition.tasks : []) as TaskDoc[];
      let more = renderParameters(w.param_schema);
      more += '\nTasks:\n' + renderTable(tasks, [
        { header: 'NAME', value: (t) => String(t.name ?? '') },
        { header: 'ACTION', value: (t) => String(t.action ?? '') },
        { header: 'ITEMS', value: (t) => (t.with_items ? 'yes' : '') },
        { header: 'NEXT', value: (t) => taskFlow(t), max: 60 },
      ]);
      ctx.output(opts).fields(
        w,
        [
          ...identityFields(w),
          ['Pack', w.pack_ref],
          ['Version', w.version],
          ['Tags', w.tags.join(', ') || '-'],
          ['Enabled', yesNo(w.enabled)],
          ['File', w.workflow_file],
          ['Timeout', w.timeout_seconds ? `${w.timeout_seconds}s` : 'none'],
          ['Updated', formatDate(w.updated)],
        ],
        more,
      );
    },
  );

  withJson(
    workflow
      .command('create')
      .description('Create a workflow from a workflow YAML file (or replace it with --update)')
      .requiredOption('-f, --file <yaml>', 'the workflow YAML: tasks, parameters, vars, output_map… (ref, label, version, description and tags may be in it too)')
      .option('--ref <ref>', 'the workflow ref, pack.name (default: ref in the file)')
      .option('--pack <ref>', 'the pack (default: the ref\'s)')
      .option('--label <text>', 'a label (default: the file\'s, else the name)')
      .option('--version <version>', 'its version (default: the file\'s, else 1.0.0)')
      .option('--update', 'replace the workflow when it exists'),
  )
    .addHelpText('after', '\nThe server checks the definition; a problem is reported with the task and field, e.g.\n  definition.tasks.deploy.next[0].do[0] "deplyo" is not a task of this workflow\nand exits with code 8, saving nothing.')
    .action(async (opts: JsonOpt & { file: string; ref?: string; pack?: string; label?: string; version?: string; update?: boolean }) => {
      let text: string;
      try {
        text = await readFile(opts.file, 'utf8');
      } catch (err) {
        throw usageError(`cannot read ${opts.file}: ${(err as Error).message}`);
      }
      let doc: unknown;
      try {
        doc = parseYaml(text, { maxAliasCount: 100 });
      } catch (err) {
        throw usageError(`${opts.file} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
      }
      const body = workflowBodyFromYaml(doc, opts, opts.file);
      const ref = body.ref as string;
      let w: Workflow;
      let verb = 'Created';
      try {
        w = await ctx.api.data<Workflow>('POST', '/api/v1/workflows', { json: body });
      } catch (err) {
        if (!(opts.update && err instanceof CliError && err.exitCode === ExitCode.Rejected && /already exists/.test(err.message))) throw err;
        const { ref: _r, pack_ref: _p, ...changes } = body;
        w = await ctx.api.data<Workflow>('PUT', `/api/v1/workflows/${encodeURIComponent(ref)}`, { json: changes });
        verb = 'Updated';
      }
      ctx.output(opts).result(w, () => `${verb} workflow ${w.ref} (${w.task_count} tasks). Run it with: attune run ${w.ref} --wait\n`);
    });

  withJson(withForce(workflow.command('delete').description('Delete a workflow (asks first unless --force)').argument('<ref>', 'workflow ref, pack.name'))).action(
    async (ref: string, opts: JsonOpt & { force?: boolean }) => {
      const w = await ctx.api.get<Workflow>(`/api/v1/workflows/${encodeURIComponent(ref)}`);
      await confirmDelete(ctx, opts, `workflow ${w.ref}`);
      await ctx.api.data('DELETE', `/api/v1/workflows/${encodeURIComponent(w.ref)}`);
      ctx.output(opts).result({ deleted: true, ref: w.ref }, () => `Deleted workflow ${w.ref}.\n`);
    },
  );
}
