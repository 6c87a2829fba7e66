import type { RunOutcome } from './process-runner';
import { buildResult, preview } from './result-builder';

const stream = (text: string, totalBytes = Buffer.byteLength(text)) => ({ head: Buffer.from(text), totalBytes });
const outcome = (over: Partial<RunOutcome> = {}): RunOutcome => ({
  exitCode: 0,
  signal: null,
  timedOut: false,
  durationMs: 12,
  stdout: stream(''),
  stderr: stream(''),
  ...over,
});

describe('preview', () => {
  it('keeps the first N characters without splitting a multi-byte character', () => {
    expect(preview(stream('héllo wörld'), 4)).toEqual({ text: 'héll', truncated: true });
    expect(preview(stream('abc'), 10)).toEqual({ text: 'abc', truncated: false });
  });

  it('marks output beyond what was captured as truncated', () => {
    expect(preview(stream('abc', 5000), 10)).toEqual({ text: 'abc', truncated: true });
  });
});

describe('buildResult', () => {
  it('records success', () => {
    const { status, result } = buildResult(outcome({ stdout: stream('hi\n') }), 'text', 60, 1000);
    expect(status).toBe('completed');
    expect(result).toEqual({ exit_code: 0, succeeded: true, duration_ms: 12, stdout: 'hi\n', stdout_truncated: false });
  });

  it('records failure with the exit code and stderr', () => {
    const { status, result } = buildResult(outcome({ exitCode: 3, stderr: stream('bad\n') }), 'text', 60, 1000);
    expect(status).toBe('failed');
    expect(result).toMatchObject({ exit_code: 3, succeeded: false, error: 'Command exited with code 3', stderr: 'bad\n', stderr_truncated: false });
  });

  it('records a timeout', () => {
    const { status, result } = buildResult(outcome({ exitCode: null, signal: 'SIGTERM', timedOut: true }), 'text', 5, 1000);
    expect(status).toBe('timeout');
    expect(result).toMatchObject({ timed_out: true, error: 'Timed out after 5s', signal: 'SIGTERM', succeeded: false });
  });

  it('records a cancellation', () => {
    const { status, result } = buildResult(outcome({ exitCode: null, signal: 'SIGTERM', cancelled: true }), 'text', 5, 1000);
    expect(status).toBe('cancelled');
    expect(result).toMatchObject({ cancelled: true, succeeded: false, error: 'Cancelled' });
  });

  it('parses json, jsonl and yaml output into data', () => {
    expect(buildResult(outcome({ stdout: stream('{"a":1}') }), 'json', 5, 1000).result.data).toEqual({ a: 1 });
    expect(buildResult(outcome({ stdout: stream('{"a":1}\n{"a":2}\n') }), 'jsonl', 5, 1000).result.data).toEqual([{ a: 1 }, { a: 2 }]);
    expect(buildResult(outcome({ stdout: stream('a: 1\nb: [x, y]\n') }), 'yaml', 5, 1000).result.data).toEqual({ a: 1, b: ['x', 'y'] });
  });

  it('takes the last line as the JSON result when the whole output is not JSON', () => {
    expect(buildResult(outcome({ stdout: stream('starting…\nworking\n{"ok":true}\n') }), 'json', 5, 1000).result.data).toEqual({ ok: true });
  });

  it('keeps a succeeded status but reports unparsable structured output', () => {
    const { status, result } = buildResult(outcome({ stdout: stream('not json') }), 'json', 5, 1000);
    expect(status).toBe('completed');
    expect(result.data).toBeUndefined();
    expect(result.error).toMatch(/^stdout is not valid json/);
  });

  it('reports a process that could not start', () => {
    const { status, result } = buildResult(outcome({ exitCode: null, spawnError: 'spawn x ENOENT' }), 'text', 5, 1000);
    expect(status).toBe('failed');
    expect(result.error).toBe('Could not start the process: spawn x ENOENT');
  });
});
