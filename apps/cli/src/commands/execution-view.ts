import { type Execution, isTerminal } from '@attune/api-client';
import type { CliContext } from '../cli-context';
import { CliError, ExitCode, type ExitCodeValue } from '../errors/exit-codes';
import { followLog, type FollowEnd, type LogStream } from '../logs/log-follower';
import { formatDate, formatDuration, renderFields } from '../output/format';

/** "alice", or "rule (enforcement 6)" for a run a rule started. */
export function startedBy(e: Execution): string {
  if (e.executor_login) return e.executor_login;
  if (e.enforcement) return `rule (enforcement ${e.enforcement})`;
  if (e.parent) return `workflow ${e.parent}`;
  return '-';
}

/** What Ctrl-C while following leaves behind: the run goes on. */
export function interruptNote(id: number): string {
  return `\nStopped following execution ${id}; it keeps running on the server.\nCancel it with: attune execution cancel ${id}\n`;
}


/** 0 for a completed execution that succeeded, 1 for any other end. */
export function exitCodeOf(e: Execution): ExitCodeValue {
  return e.status === 'completed' && e.result?.succeeded !== false ? ExitCode.Ok : ExitCode.Failed;
}

export function durationOf(e: Execution): number | undefined {
  if (typeof e.result?.duration_ms === 'number') return e.result.duration_ms;
  if (e.started_at && e.finished_at) return Date.parse(e.finished_at) - Date.parse(e.started_at);
  return undefined;
}

const indent = (text: string) => text.replace(/\n$/, '').replace(/^/gm, '  ') + '\n';

/** An execution for humans: its fields, then its result (previews of the output, parsed data). */
export function renderExecution(e: Execution): string {
  const r = e.result;
  const fields: Array<[string, unknown]> = [
    ['Execution', e.id],
    ['Action', e.action_ref],
    ['Status', e.status],
    ['Started by', startedBy(e)],
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
export function summaryLine(e: Execution): string {
  const r = e.result;
  const parts = [`Execution ${e.id} ${e.status}`];
  const d = durationOf(e);
  if (d !== undefined) parts.push(`in ${formatDuration(d)}`);
  if (r?.exit_code !== undefined && r.exit_code !== null) parts.push(`(exit code ${r.exit_code})`);
  const line = parts.join(' ');
  return (r?.error && e.status !== 'completed' ? `${line}: ${r.error}` : line) + '\n';
}

export function getExecution(ctx: CliContext, id: number): Promise<Execution> {
  return ctx.api.get<Execution>(`/api/v1/executions/${id}`);
}

/**
 * Calls `check` until it answers something, gently (250 ms growing to 1 s), riding out brief
 * outages of the server (up to 20 in a row).
 */
export async function pollUntil<T>(check: () => Promise<T | undefined>): Promise<T> {
  let delay = 250;
  let failures = 0;
  for (;;) {
    try {
      const done = await check();
      failures = 0;
      if (done !== undefined) return done;
    } catch (err) {
      if (!(err instanceof CliError) || err.exitCode !== ExitCode.Unreachable || ++failures > 20) throw err;
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(1000, delay * 1.5);
  }
}

/** Polls until the execution is terminal. */
export function waitForTerminal(ctx: CliContext, id: number): Promise<Execution> {
  return pollUntil(async () => {
    const e = await getExecution(ctx, id);
    return isTerminal(e.status) ? e : undefined;
  });
}

/**
 * Streams both logs of an execution live until it ends: stdout's text to `writeOut`,
 * stderr's to `writeErr`. Answers the execution as it ended.
 */
export async function followExecution(
  ctx: CliContext,
  id: number,
  writers: Record<LogStream, (text: string) => void | Promise<void>>,
): Promise<{ execution: Execution; ends: Record<LogStream, FollowEnd> }> {
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
