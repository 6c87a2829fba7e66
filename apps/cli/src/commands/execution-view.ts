import type { CliContext } from '../cli-context';
import { CliError, ExitCode, type ExitCodeValue } from '../errors/exit-codes';
import { followLog, type FollowEnd, type LogStream } from '../logs/log-follower';
import { formatDate, formatDuration, renderFields } from '../output/format';

export const TERMINAL_STATUSES = ['completed', 'failed', 'cancelled', 'timeout', 'abandoned'];

export interface ExecutionResult {
  exit_code?: number | null;
  succeeded?: boolean;
  duration_ms?: number;
  stdout?: string;
  stdout_truncated?: boolean;
  stdout_log?: string;
  stderr?: string;
  stderr_truncated?: boolean;
  stderr_log?: string;
  data?: unknown;
  error?: string;
  timed_out?: boolean;
  cancelled?: boolean;
  signal?: string;
}

export interface ExecutionData {
  id: number;
  action: number | null;
  action_ref: string;
  config: Record<string, unknown>;
  parent: number | null;
  enforcement: number | null;
  executor: number | null;
  worker: string | null;
  status: string;
  result: ExecutionResult | null;
  timeout_seconds: number;
  attempt?: number;
  waiting_reason?: string | null;
  started_at: string | null;
  finished_at?: string | null;
  created: string;
  updated: string;
}

export const isTerminal = (status: string) => TERMINAL_STATUSES.includes(status);

/** 0 for a completed execution that succeeded, 1 for any other end. */
export function exitCodeOf(e: ExecutionData): ExitCodeValue {
  return e.status === 'completed' && e.result?.succeeded !== false ? ExitCode.Ok : ExitCode.Failed;
}

export function durationOf(e: ExecutionData): number | undefined {
  if (typeof e.result?.duration_ms === 'number') return e.result.duration_ms;
  if (e.started_at && e.finished_at) return Date.parse(e.finished_at) - Date.parse(e.started_at);
  return undefined;
}

const indent = (text: string) => text.replace(/\n$/, '').replace(/^/gm, '  ') + '\n';

/** An execution for humans: its fields, then its result (previews of the output, parsed data). */
export function renderExecution(e: ExecutionData): string {
  const r = e.result;
  const fields: Array<[string, unknown]> = [
    ['Execution', e.id],
    ['Action', e.action_ref],
    ['Status', e.status],
  ];
  if (e.waiting_reason) fields.push(['Waiting', e.waiting_reason]);
  if (r) {
    fields.push(['Exit code', r.exit_code ?? (r.signal ? `signal ${r.signal}` : '-')]);
    fields.push(['Duration', formatDuration(durationOf(e))]);
    if (r.error) fields.push(['Error', r.error]);
  }
  fields.push(
    ['Worker', e.worker],
    ['Parameters', Object.keys(e.config ?? {}).length ? e.config : '{}'],
    ['Created', formatDate(e.created)],
    ['Started', formatDate(e.started_at)],
    ['Finished', formatDate(e.finished_at)],
  );
  let text = renderFields(fields);
  if (r?.data !== undefined) text += `\nData:\n${indent(JSON.stringify(r.data, null, 2))}`;
  for (const stream of ['stdout', 'stderr'] as const) {
    const preview = r?.[stream];
    if (!preview) continue;
    text += `\n${stream}:\n${indent(preview)}`;
    if (r?.[`${stream}_truncated`]) text += `  … (preview; the whole log: attune execution logs ${e.id}${stream === 'stderr' ? ' --stderr' : ''})\n`;
  }
  return text;
}

/** One line on how an execution ended. */
export function summaryLine(e: ExecutionData): string {
  const r = e.result;
  const parts = [`Execution ${e.id} ${e.status}`];
  const d = durationOf(e);
  if (d !== undefined) parts.push(`in ${formatDuration(d)}`);
  if (r?.exit_code !== undefined && r.exit_code !== null) parts.push(`(exit code ${r.exit_code})`);
  const line = parts.join(' ');
  return (r?.error && e.status !== 'completed' ? `${line}: ${r.error}` : line) + '\n';
}

export function getExecution(ctx: CliContext, id: number): Promise<ExecutionData> {
  return ctx.api.get<ExecutionData>(`/api/v1/executions/${id}`);
}

/** Polls until the execution is terminal (gently: 250 ms growing to 1 s), riding out brief outages. */
export async function waitForTerminal(ctx: CliContext, id: number): Promise<ExecutionData> {
  let delay = 250;
  let failures = 0;
  for (;;) {
    try {
      const e = await getExecution(ctx, id);
      failures = 0;
      if (isTerminal(e.status)) return e;
    } catch (err) {
      if (!(err instanceof CliError) || err.exitCode !== ExitCode.Unreachable || ++failures > 20) throw err;
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(1000, delay * 1.5);
  }
}

/**
 * Streams both logs of an execution live until it ends: stdout's text to `writeOut`,
 * stderr's to `writeErr`. Answers the execution as it ended.
 */
export async function followExecution(
  ctx: CliContext,
  id: number,
  writers: Record<LogStream, (text: string) => void | Promise<void>>,
): Promise<{ execution: ExecutionData; ends: Record<LogStream, FollowEnd> }> {
  const [out, err] = await Promise.all(
    (['stdout', 'stderr'] as const).map((stream) => followLog(ctx.api, id, stream, { write: writers[stream] })),
  );
  // The end event says the execution is terminal; the row has the result.
  const execution = await waitForTerminal(ctx, id);
  return { execution, ends: { stdout: out, stderr: err } };
}

/** Writes to a stream, waiting for it to drain when its buffer is full (a slow pipe). */
export function writerFor(stream: NodeJS.WritableStream): (text: string) => Promise<void> {
  return (text) =>
    new Promise<void>((resolve) => {
      if (stream.write(text)) resolve();
      else stream.once('drain', () => resolve());
    });
}
