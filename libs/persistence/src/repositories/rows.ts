/** Raw query helpers shared by the repositories that write SQL by hand. */
export type Row = Record<string, unknown>;

/**
 * node-postgres answers `[rows, count]` through TypeORM for UPDATE/DELETE … RETURNING and plain
 * rows for SELECT and INSERT … RETURNING; this gives the rows either way.
 */
export function rowsOf(result: unknown): Row[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as Row[];
  }
  return (result ?? []) as Row[];
}

export function nullableNumber(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}

/** True for Postgres unique violations (SQLSTATE 23505), whichever driver layer wrapped them. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string } } | null;
  return e?.code === '23505' || e?.driverError?.code === '23505';
}
