import type { ExecutionResult, FinishedStatus, OutputFormat } from '@attune/contracts';
import { parse as parseYaml } from 'yaml';
import type { CapturedStream, RunOutcome } from './process-runner';

export interface Preview {
  text: string;
  truncated: boolean;
}

/** The first `chars` characters of a captured stream, never cutting a UTF-8 sequence. */
export function preview(stream: CapturedStream, chars: number): Preview {
  const decoded = stream.head.toString('utf8');
  const text = Array.from(decoded).slice(0, chars).join('');
  const truncated = Buffer.byteLength(text) < stream.totalBytes;
  return { text, truncated };
}

/** The whole output as JSON, else its last non-empty line (for actions that log before their result). */
function parseJsonOutput(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (whole) {
    const last = text.split('\n').map((l) => l.trim()).filter(Boolean).pop();
    if (last === undefined || last === text) throw whole;
    return JSON.parse(last);
  }
}

export function parseOutput(format: OutputFormat, stdout: CapturedStream): { data?: unknown; error?: string } {
  if (format === 'text') return {};
  if (stdout.head.length < stdout.totalBytes) return { error: `${format} output too large to parse (${stdout.totalBytes} bytes)` };
  const text = stdout.head.toString('utf8').trim();
  if (!text) return {};
  try {
    switch (format) {
      case 'json':
        return { data: parseJsonOutput(text) };
      case 'jsonl':
        return { data: text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l)) };
      case 'yaml':
        return { data: parseYaml(text) };
    }
  } catch (err) {
    return { error: `stdout is not valid ${format}: ${(err as Error).message}` };
  }
}

export function buildResult(
  outcome: RunOutcome,
  format: OutputFormat,
  timeoutSeconds: number,
  previewChars: number,
): { status: FinishedStatus; result: ExecutionResult } {
  const out = preview(outcome.stdout, previewChars);
  const result: ExecutionResult = {
    exit_code: outcome.exitCode,
    succeeded: false,
    duration_ms: outcome.durationMs,
    stdout: out.text,
    stdout_truncated: out.truncated,
  };
  if (outcome.stderr.totalBytes > 0) {
    const err = preview(outcome.stderr, previewChars);
    result.stderr = err.text;
    result.stderr_truncated = err.truncated;
  }
  if (outcome.signal) result.signal = outcome.signal;
  if (outcome.spawnError) {
    result.error = `Could not start the process: ${outcome.spawnError}`;
    return { status: 'failed', result };
  }
  if (outcome.cancelled) {
    result.cancelled = true;
    result.error = 'Cancelled';
    return { status: 'cancelled', result };
  }
  if (outcome.timedOut) {
    result.timed_out = true;
    result.error = `Timed out after ${timeoutSeconds}s`;
    return { status: 'timeout', result };
  }
  const parsed = parseOutput(format, outcome.stdout);
  if (parsed.data !== undefined) result.data = parsed.data;
  if (outcome.exitCode === 0) {
    result.succeeded = true;
    if (parsed.error) result.error = parsed.error;
    return { status: 'completed', result };
  }
  result.error =
    outcome.exitCode !== null ? `Command exited with code ${outcome.exitCode}` : `Process was killed by ${outcome.signal ?? 'a signal'}`;
  return { status: 'failed', result };
}
