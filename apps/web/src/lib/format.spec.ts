import { describe, expect, it } from '@jest/globals';
import { ARTIFACT_SCOPES as CONTRACT_SCOPES, ARTIFACT_TYPES as CONTRACT_TYPES, EXECUTION_STATUSES as CONTRACT_STATUSES, TERMINAL_STATUSES as CONTRACT_TERMINAL } from '@attune/contracts';
import { ARTIFACT_SCOPES, ARTIFACT_TYPES, EXECUTION_STATUSES, TERMINAL_STATUSES } from '@attune/api-client';
import { formatPercent, progressEntries, progressState } from '../artifacts/progress';
import { filenameFromDisposition } from './download';
import { executionDuration, formatBytes, formatDuration, formatRelative } from './format';

describe('the lists the UI takes from the generated api client', () => {
  it('equal libs/contracts (the api documents its enums from them; the browser bundle does not import contracts)', () => {
    expect(EXECUTION_STATUSES).toEqual(CONTRACT_STATUSES);
    expect(TERMINAL_STATUSES).toEqual(CONTRACT_TERMINAL);
    expect(ARTIFACT_TYPES).toEqual(CONTRACT_TYPES);
    expect(ARTIFACT_SCOPES).toEqual(CONTRACT_SCOPES);
  });
});

describe('formatting', () => {
  it('formats sizes', () => {
    expect([0, 1023, 1536, 10 * 1024 * 1024, 5.25 * 1024 ** 3, null].map((b) => formatBytes(b))).toEqual(['0 B', '1023 B', '1.5 KB', '10 MB', '5.3 GB', '—']);
  });

  it('formats durations', () => {
    expect([2, 950, 1500, 12_340, 61_500, 7_380_000, null].map((ms) => formatDuration(ms))).toEqual(['2 ms', '950 ms', '1.5s', '12.3s', '1m 1.5s', '2h 3m', '—']);
  });

  it('formats relative times', () => {
    const now = Date.parse('2026-03-02T12:00:00Z');
    expect(formatRelative('2026-03-02T11:59:58Z', now)).toBe('just now');
    expect(formatRelative('2026-03-02T11:55:00Z', now)).toBe('5 min ago');
    expect(formatRelative('2026-03-01T12:00:00Z', now)).toBe('1 d ago');
    expect(formatRelative('2026-01-01T00:00:00Z', now)).toBe('2026-01-01');
    expect(formatRelative(null, now)).toBe('—');
  });

  it('takes an execution duration from its result, else from its start', () => {
    const now = Date.parse('2026-03-02T12:00:10Z');
    expect(executionDuration({ result: { duration_ms: 42 }, started_at: null, finished_at: null }, now)).toBe(42);
    expect(executionDuration({ result: null, started_at: '2026-03-02T12:00:00Z', finished_at: null }, now)).toBe(10_000);
    expect(executionDuration({ result: null, started_at: null, finished_at: null }, now)).toBeNull();
  });
});

describe('progress artifacts', () => {
  it('stand where their last entry says, clamped to 0–100', () => {
    const entries = progressEntries([
      { iteration: 1, percent: 10, message: 'one', timestamp: '2026-03-02T12:00:00Z' },
      { iteration: 2, percent: 20, message: 'two', timestamp: '2026-03-02T12:00:01Z' },
    ]);
    expect(progressState(entries)).toEqual({ percent: 20, message: 'two', timestamp: '2026-03-02T12:00:01Z' });
    expect(progressState(progressEntries([{ percent: 140 }])).percent).toBe(100);
    expect(progressState(progressEntries(null))).toEqual({ percent: 0 });
    expect(progressEntries([1, 'x', null, { percent: 5 }])).toEqual([{ percent: 5 }]);
    expect([100, 33.33, 12.5, 0].map(formatPercent)).toEqual(['100%', '33.3%', '12.5%', '0%']);
  });
});

describe('filenameFromDisposition', () => {
  it('reads the file name the api sends', () => {
    expect(filenameFromDisposition('attachment; filename="run.log"')).toBe('run.log');
    expect(filenameFromDisposition(`attachment; filename="r_sum_.txt"; filename*=UTF-8''r%C3%A9sum%C3%A9.txt`)).toBe('résumé.txt');
    expect(filenameFromDisposition('attachment; filename=plain.bin')).toBe('plain.bin');
    expect(filenameFromDisposition(null)).toBeUndefined();
  });
});
