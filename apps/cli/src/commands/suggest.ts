import { CliError, ExitCode } from '../errors/exit-codes';

/** Levenshtein distance, bounded work: refs are short. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/** The candidates close to `wanted` (a typo or two away, or containing it), best first, at most three. */
export function closest(wanted: string, candidates: string[]): string[] {
  const w = wanted.toLowerCase();
  const limit = Math.max(2, Math.floor(w.length / 3));
  return candidates
    .map((c) => ({ c, d: c.toLowerCase().includes(w) && w.length >= 3 ? 0.5 : editDistance(w, c.toLowerCase()) }))
    .filter((x) => x.d <= limit && x.c !== wanted)
    .sort((x, y) => x.d - y.d || x.c.localeCompare(y.c))
    .slice(0, 3)
    .map((x) => x.c);
}

/**
 * Runs a lookup by ref; when the server answers "not found", adds the refs that come close
 * ("did you mean core.echo?"). Listing the candidates costs a request only after a miss.
 */
export async function withSuggestions<T>(ref: string, lookup: () => Promise<T>, candidates: () => Promise<string[]>): Promise<T> {
  try {
    return await lookup();
  } catch (err) {
    if (!(err instanceof CliError) || err.exitCode !== ExitCode.NotFound) throw err;
    const near = await candidates().then(
      (all) => closest(ref, all),
      () => [],
    );
    if (!near.length) throw err;
    throw new CliError(`${err.message}\nDid you mean ${near.map((n) => `"${n}"`).join(' or ')}?`, ExitCode.NotFound, err.details);
  }
}
