import { EXECUTION_STATUSES, type Execution, type ExecutionManifest } from '@attune/api-client';
import type { Command } from 'commander';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { CliContext } from '../cli-context';
import { usageError } from '../errors/exit-codes';
import { followLog, type LogStream } from '../logs/log-follower';
import { parseParams } from '../params/parse-params';
import { getAction } from './action.commands';
import { executeAndReport, type RunOpts } from './run.command';
import { formatBytes, formatDuration, renderFields, renderTable, statusColour } from '../output/format';
import { CREATED_COLUMN, ID_COLUMN } from './columns';
import { idArgument, type JsonOpt, type ListOpt, parseId, printList, withJson, withList } from './common';
import { durationOf, exitCodeOf, getExecution, interruptNote, renderExecution, startedBy, summaryLine, waitForTerminal, writerFor } from './execution-view';
import { loadWorkflowTree, renderWorkflowTree, treeJson } from './workflow-view';

/** An option value that must be an ISO-8601 time. */
const isoTime = (name: string) => (value: string) => {
  if (!/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value.trim()) || Number.isNaN(Date.parse(value))) {
    throw usageError(`${name} must be an ISO-8601 time such as 2026-01-31 or 2026-01-31T09:00:00Z, not "${value}"`);
  }
  return value.trim();
};

/** How the API shows a secret parameter's value. */
const SECRET_MASK = '********';

const STATUSES: readonly string[] = EXECUTION_STATUSES;

export function registerExecutionCommands(program: Command, ctx: CliContext): void {
  const execution = program.command('execution').description('List, inspect, follow and cancel executions');

  withList(
    execution
      .command('list')
      .description('List executions, newest first')
      .option('--status <status>', `only this status (${STATUSES.join(', ')})`)
      .option('--action <ref>', 'only executions of this action')
      .option('--user <login>', 'only executions started by this login (a user or their API keys)')
      .option('--parent <id>', 'only the tasks of this workflow run', (v) => parseId(v, '--parent'))
      .option('--enforcement <id>', 'only the executions of this enforcement (a rule firing)', (v) => parseId(v, '--enforcement'))
      .option('--since <time>', 'only those created after this ISO-8601 time', isoTime('--since'))
      .option('--until <time>', 'only those created before this ISO-8601 time', isoTime('--until')),
  ).action(async (opts: ListOpt & { status?: string; action?: string; user?: string; parent?: number; enforcement?: number; since?: string; until?: string }) => {
    if (opts.status && !STATUSES.includes(opts.status)) throw usageError(`--status must be one of ${STATUSES.join(', ')}`);
    const query = {
      status: opts.status,
      action_ref: opts.action,
      executor_login: opts.user,
      parent: opts.parent,
      enforcement: opts.enforcement,
      created_after: opts.since,
      created_before: opts.until,
    };
    await printList<Execution>(ctx, opts, {
      path: '/api/v1/executions',
      query,
      columns: [
        ID_COLUMN,
        { header: 'ACTION', value: (e) => e.action_ref },
        { header: 'STATUS', value: (e) => e.status, color: statusColour },
        { header: 'BY', value: (e) => startedBy(e) },
        { header: 'EXIT', value: (e) => e.result?.exit_code ?? '-', right: true },
        { header: 'DURATION', value: (e) => formatDuration(durationOf(e)), right: true },
        CREATED_COLUMN,
      ],
      empty: 'No executions.\n',
    });
  });

  /** A subcommand about one execution: its `<id>` reaches the action as a number. */
  const forExecution = (name: string, description: string, idHelp = 'execution id') =>
    execution.command(name).description(description).addArgument(idArgument('execution id', idHelp));

  withJson(forExecution('show', 'Show an execution and its result')).action(async (id: number, opts: JsonOpt) => {
    const e = await getExecution(ctx, id);
    ctx.output(opts).result(e, () => renderExecution(e));
  });

  const treeHelp = "Show a workflow run's tasks as a tree: status, duration and child execution ids; sub-workflows nested";
  withJson(forExecution('tree', treeHelp, 'the workflow execution (the parent) id')).action(async (id: number, opts: JsonOpt) => {
    const [e, tree] = await Promise.all([getExecution(ctx, id), loadWorkflowTree(ctx, id)]);
    ctx.output(opts).result(treeJson(tree), () => renderWorkflowTree(tree, e));
  });

  withJson(
    forExecution('logs', "Print an execution's whole log (stdout unless --stderr), or follow it live with --follow")
      .option('--stderr', 'the standard error log instead of standard output')
      .option('-f, --follow', 'stream the log live until the execution ends, then print its status and exit code (and exit 0 only if it succeeded)'),
  )
    .addHelpText('after', '\nWith --json: without --follow one object {execution, stream, complete, bytes, text};\nwith --follow one JSON line per piece of text {"text": …} and a last line {"end": {status, bytes}}.')
    .action(async (id: number, opts: JsonOpt & { stderr?: boolean; follow?: boolean }) => {
      const stream: LogStream = opts.stderr ? 'stderr' : 'stdout';
      const stdout = ctx.streams.stdout;
      if (opts.follow) {
        const write = writerFor(stdout);
        ctx.interruptNote = interruptNote(id);
        const end = await followLog(ctx.api, id, stream, { write: (text) => write(opts.json ? JSON.stringify({ text }) + '\n' : text) });
        ctx.interruptNote = undefined;
        const finished = await waitForTerminal(ctx, id);
        if (opts.json) await write(JSON.stringify({ end: { ...end, exit_code: finished.result?.exit_code ?? null } }) + '\n');
        else ctx.output(opts).note(summaryLine(finished));
        // The command's exit code follows the run's, as with `attune run --follow`.
        process.exitCode = exitCodeOf(finished);
        return;
      }
      const res = await ctx.api.request('GET', `/api/v1/executions/${id}/logs/${stream}`, { headers: { accept: 'text/plain' } });
      const complete = res.headers.get('x-log-complete') === 'true';
      if (opts.json) {
        const text = await res.text();
        ctx.output(opts).result({ execution: id, stream, complete, bytes: Buffer.byteLength(text), text }, () => '');
        return;
      }
      // Streamed through, never held whole: a log may be a gigabyte.
      if (res.body) await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), stdout, { end: false });
      if (!complete) ctx.output(opts).hint(`(execution ${id} is still running: this is the log so far; --follow streams the rest)`);
    });

  withJson(
    forExecution('re-run', 'Run an execution\'s action again with the same parameters (key=value arguments change some)')
      .argument('[params...]', 'parameters to change: key=value (typed by the action\'s schema) or key:=<json>')
      .option('--wait', 'wait for the new execution to end and print its result; the exit code follows its success')
      .option('--follow', 'stream its stdout and stderr live until it ends; the exit code follows its success')
      .option('-q, --quiet', 'print only the new execution id'),
  ).action(async (id: number, args: string[], opts: RunOpts) => {
    const before = await getExecution(ctx, id);
    const schema = args.some((a) => /^[^=:]+=/.test(a)) ? (await getAction(ctx, before.action_ref)).param_schema : undefined;
    const parameters = parseParams(args, schema, { ...(before.config ?? {}) });
    // Secret values are never returned, only their mask: sending the mask would run with it.
    const masked = Object.entries(parameters).filter(([, v]) => v === SECRET_MASK).map(([k]) => k);
    if (masked.length) {
      throw usageError(`execution ${before.id} has secret parameters the server never shows (${masked.join(', ')}); give them again: attune execution re-run ${before.id} ${masked.map((k) => `${k}=…`).join(' ')}`);
    }
    await executeAndReport(ctx, before.action_ref, parameters, opts);
  });

  withJson(forExecution('cancel', 'Cancel an execution that has not ended')).action(async (id: number, opts: JsonOpt) => {
    const e = await ctx.api.data<Execution>('POST', `/api/v1/executions/${id}/cancel`);
    ctx.output(opts).result(e, () =>
      e.status === 'cancelled' ? `Execution ${id} cancelled.\n` : `Cancellation of execution ${id} requested (status: ${e.status}).\n`,
    );
  });

  const manifestHelp = "Show an execution's run record: its artifacts and every version with size and SHA-256";
  withJson(forExecution('manifest', manifestHelp)).action(async (id: number, opts: JsonOpt) => {
    const m = await ctx.api.get<ExecutionManifest>(`/api/v1/executions/${id}/manifest`);
    type Row = { a: ExecutionManifest['artifacts'][number]; v?: ExecutionManifest['artifacts'][number]['versions'][number] };
    const rows: Row[] = m.artifacts.flatMap((a): Row[] => (a.versions.length ? a.versions.map((v) => ({ a, v })) : [{ a }]));
    ctx.output(opts).result(m, () => {
      const head = renderFields([
        ['Execution', m.execution],
        ['Action', m.action_ref],
        ['Status', m.status],
        ['Artifacts', m.artifacts.length],
      ]);
      if (!rows.length) return head;
      return (
        head +
        '\n' +
        renderTable<Row>(rows, [
          { header: 'ARTIFACT', value: (r) => r.a.id, right: true },
          { header: 'REF', value: (r) => r.a.ref },
          { header: 'TYPE', value: (r) => r.a.type },
          { header: 'VERSION', value: (r) => r.v?.version ?? '-', right: true },
          { header: 'SIZE', value: (r) => (r.v ? formatBytes(r.v.size_bytes) : '-'), right: true },
          { header: 'SHA256', value: (r) => r.v?.sha256 },
          { header: 'STORED', value: (r) => (r.v ? (r.v.stored ? 'yes' : 'MISSING') : '-') },
        ])
      );
    });
  });
}
