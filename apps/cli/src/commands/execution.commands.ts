import type { Command } from 'commander';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { CliContext } from '../cli-context';
import { usageError } from '../errors/exit-codes';
import { followLog, type LogStream } from '../logs/log-follower';
import { formatBytes, formatDate, formatDuration, renderFields, renderTable } from '../output/format';
import { positiveInt } from '../params/parse-params';
import { DEFAULT_LIMIT, type JsonOpt, listPages, moreNote, parseId, withJson } from './common';
import { durationOf, type ExecutionData, getExecution, renderExecution, TERMINAL_STATUSES, writerFor } from './execution-view';

const STATUSES = ['requested', 'scheduling', 'scheduled', 'running', 'canceling', ...TERMINAL_STATUSES];

interface ManifestData {
  execution: number;
  action_ref: string;
  status: string;
  artifacts: Array<{
    id: number;
    ref: string;
    type: string;
    name: string | null;
    versions: Array<{ version: number; size_bytes: number; sha256: string; content_type: string; download_url: string; created: string; stored: boolean }>;
  }>;
}

export function registerExecutionCommands(program: Command, ctx: CliContext): void {
  const execution = program.command('execution').description('List, inspect, follow and cancel executions');

  withJson(
    execution
      .command('list')
      .description('List executions, newest first')
      .option('--status <status>', `only this status (${STATUSES.join(', ')})`)
      .option('--action <ref>', 'only executions of this action')
      .option('--limit <n>', `at most this many (default ${DEFAULT_LIMIT})`, positiveInt('--limit'), DEFAULT_LIMIT),
  ).action(async (opts: JsonOpt & { status?: string; action?: string; limit: number }) => {
    if (opts.status && !STATUSES.includes(opts.status)) throw usageError(`--status must be one of ${STATUSES.join(', ')}`);
    const { items, total } = await listPages<ExecutionData>(ctx.api, '/api/v1/executions', { status: opts.status, action_ref: opts.action }, opts.limit);
    const out = ctx.output(opts);
    out.table(items, items, [
      { header: 'ID', value: (e) => e.id, right: true },
      { header: 'ACTION', value: (e) => e.action_ref },
      { header: 'STATUS', value: (e) => e.status },
      { header: 'EXIT', value: (e) => e.result?.exit_code ?? '-', right: true },
      { header: 'DURATION', value: (e) => formatDuration(durationOf(e)), right: true },
      { header: 'CREATED', value: (e) => formatDate(e.created) },
    ], 'No executions.\n');
    out.hint(moreNote(items.length, total));
  });

  withJson(execution.command('show').description('Show an execution and its result').argument('<id>', 'execution id')).action(
    async (id: string, opts: JsonOpt) => {
      const e = await getExecution(ctx, parseId(id, 'execution id'));
      ctx.output(opts).result(e, () => renderExecution(e));
    },
  );

  withJson(
    execution
      .command('logs')
      .description("Print an execution's whole log (stdout unless --stderr), or follow it live with --follow")
      .argument('<id>', 'execution id')
      .option('--stderr', 'the standard error log instead of standard output')
      .option('-f, --follow', 'stream the log live until the execution ends'),
  )
    .addHelpText('after', '\nWith --json: without --follow one object {execution, stream, complete, bytes, text};\nwith --follow one JSON line per piece of text {"text": …} and a last line {"end": {status, bytes}}.')
    .action(async (idArg: string, opts: JsonOpt & { stderr?: boolean; follow?: boolean }) => {
      const id = parseId(idArg, 'execution id');
      const stream: LogStream = opts.stderr ? 'stderr' : 'stdout';
      const stdout = ctx.streams.stdout;
      if (opts.follow) {
        const write = writerFor(stdout);
        const end = await followLog(ctx.api, id, stream, { write: (text) => write(opts.json ? JSON.stringify({ text }) + '\n' : text) });
        if (opts.json) await write(JSON.stringify({ end }) + '\n');
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

  withJson(execution.command('cancel').description('Cancel an execution that has not ended').argument('<id>', 'execution id')).action(
    async (idArg: string, opts: JsonOpt) => {
      const id = parseId(idArg, 'execution id');
      const e = await ctx.api.data<ExecutionData>('POST', `/api/v1/executions/${id}/cancel`);
      ctx.output(opts).result(e, () =>
        e.status === 'cancelled' ? `Execution ${id} cancelled.\n` : `Cancellation of execution ${id} requested (status: ${e.status}).\n`,
      );
    },
  );

  withJson(
    execution
      .command('manifest')
      .description("Show an execution's run record: its artifacts and every version with size and SHA-256")
      .argument('<id>', 'execution id'),
  ).action(async (idArg: string, opts: JsonOpt) => {
    const m = await ctx.api.get<ManifestData>(`/api/v1/executions/${parseId(idArg, 'execution id')}/manifest`);
    type Row = { a: ManifestData['artifacts'][number]; v?: ManifestData['artifacts'][number]['versions'][number] };
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
