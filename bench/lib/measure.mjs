// The benchmarks' arithmetic: percentiles and medians of timings, and checksums of what was moved.
import { createHash } from 'node:crypto';

/** The nearest-rank percentile `p` (0–100) of ascending `sorted`; NaN when it is empty. */
export function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** p50, p95, p99 and the maximum of some timings (in any order). */
export function summarize(values) {
  const s = [...values].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99), max: s[s.length - 1] };
}

/** The upper median of some numbers (in any order). */
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The SHA-256 (hex) and size of everything a stream yields. */
export async function hashStream(stream) {
  const h = createHash('sha256');
  let n = 0;
  for await (const c of stream) {
    h.update(c);
    n += c.length;
  }
  return { sha256: h.digest('hex'), size: n };
}
