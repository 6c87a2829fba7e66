/** One entry of a progress artifact's data (POST /api/v1/artifacts/{id}/progress appends them). */
export interface ProgressEntry {
  iteration?: number;
  percent?: number;
  message?: string;
  timestamp?: string;
  [key: string]: unknown;
}

/** The entries of a progress artifact's `data` (an array of `{iteration, percent, message, timestamp}`), tolerating anything else. */
export function progressEntries(data: unknown): ProgressEntry[] {
  return Array.isArray(data) ? data.filter((e): e is ProgressEntry => typeof e === 'object' && e !== null && !Array.isArray(e)) : [];
}

/** Where a progress artifact stands: its last entry's percent (0–100) and message. */
export function progressState(entries: ProgressEntry[]): { percent: number; message?: string; timestamp?: string } {
  const last = entries[entries.length - 1];
  if (!last) return { percent: 0 };
  const raw = typeof last.percent === 'number' ? last.percent : Number(last.percent);
  const percent = Number.isFinite(raw) ? Math.min(100, Math.max(0, raw)) : 0;
  return { percent, message: typeof last.message === 'string' ? last.message : undefined, timestamp: typeof last.timestamp === 'string' ? last.timestamp : undefined };
}

/** "42%", "99.5%": at most one decimal, none when whole. */
export function formatPercent(percent: number): string {
  return `${Number.isInteger(percent) ? percent : percent.toFixed(1).replace(/\.0$/, '')}%`;
}
