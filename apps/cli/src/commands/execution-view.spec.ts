import type { Execution, ExecutionResult, ExecutionStatus } from '@attune/api-client';
import { ExitCode } from '../errors/exit-codes';
import { exitCodeOf, renderExecution, summaryLine } from './execution-view';

const result: ExecutionResult = { exit_code: 3, succeeded: false, duration_ms: 1500, stdout: 'out\n', stdout_truncated: true, error: 'Command exited with code 3' };
const base: Execution = {
  id: 42,
  action: 1,
  action_ref: 'core.local',
  config: { cmd: 'exit 3' },
  parent: null,
  workflow_task: null,
  enforcement: null,
  executor: 1,
  executor_login: 'test@attune.local',
  worker: 'w1',
  status: 'failed',
  result,
  timeout_seconds: 600,
  attempt: 1,
  waiting_reason: null,
  pack_digest: null,
  started_at: '2026-01-01T00:00:00Z',
  finished_at: '2026-01-01T00:00:01.5Z',
  created: '2026-01-01T00:00:00Z',
  updated: '2026-01-01T00:00:01.5Z',
};

describe('execution view', () => {
  it('exits 0 only for a completed, successful execution', () => {
    expect(exitCodeOf({ ...base, status: 'completed', result: { ...result, succeeded: true, exit_code: 0 } })).toBe(ExitCode.Ok);
    for (const status of ['failed', 'timeout', 'cancelled', 'abandoned'] as ExecutionStatus[]) expect(exitCodeOf({ ...base, status })).toBe(ExitCode.Failed);
  });

  it('summarizes how it ended', () => {
    expect(summaryLine(base)).toBe('Execution 42 failed in 1.5s (exit code 3): Command exited with code 3\n');
  });

  it('renders the result with previews and points at the whole log when the preview is cut', () => {
    const text = renderExecution(base);
    expect(text).toMatch(/^Execution:\s+42$/m);
    expect(text).toMatch(/^Exit code:\s+3$/m);
    expect(text).toMatch(/^Error:\s+Command exited with code 3$/m);
    expect(text).toContain('stdout:\n  out\n  … (preview; the whole log: attune execution logs 42)');
  });
});
