import { type EntityManager, getMetadataArgsStorage } from 'typeorm';

/** Raw query helpers shared by the repositories that write SQL by hand. */
export type Row = Record<string, unknown>;

/**
 * Where a repository method runs its SQL: the DataSource, or the EntityManager of a transaction a
 * caller composes from several repository methods.
 */
export type Queryable = Pick<EntityManager, 'query'>;

/**
 * node-postgres answers `[rows, count]` through TypeORM for UPDATE/DELETE … RETURNING and plain
 * rows for SELECT and INSERT … RETURNING; this gives the rows either way.
 */
export function rowsOf<T = Row>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as T[];
  }
  return (result ?? []) as T[];
}

/**
 * Reads raw rows of an entity's table (`SELECT *`, `RETURNING *`) as the entity: each column's
 * value under the property its decorator (or a base class's) declares. Ids arrive as numbers
 * already (data-source.ts), JSON parsed and timestamps as Dates, so no column needs converting.
 * For the repositories that write their SQL by hand.
 */
export function entityReader<E extends object>(entity: new () => E): (row: Row) => E {
  const lineage: Array<abstract new () => unknown> = [];
  for (let t: unknown = entity; typeof t === 'function' && t !== Function.prototype; t = Object.getPrototypeOf(t)) {
    lineage.push(t as abstract new () => unknown);
  }
  const columns = getMetadataArgsStorage()
    .filterColumns(lineage)
    .map((c) => [c.propertyName, c.options.name ?? c.propertyName] as const);
  return (row) => {
    const read = new entity() as Record<string, unknown>;
    for (const [property, column] of columns) read[property] = row[column];
    return read as E;
  };
}

export function nullableNumber(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}

/** The distinct string values of one column. */
export function distinct(rows: Row[], column: string): string[] {
  return [...new Set(rows.map((r) => String(r[column])))];
}

/** The SQLSTATE and constraint of a Postgres error, whichever driver layer wrapped it. */
export function pgError(err: unknown): { code?: string; constraint?: string } {
  const e = err as { code?: unknown; constraint?: unknown; driverError?: { code?: unknown; constraint?: unknown } } | null;
  const code = e?.driverError?.code ?? e?.code;
  const constraint = e?.driverError?.constraint ?? e?.constraint;
  return { code: typeof code === 'string' ? code : undefined, constraint: typeof constraint === 'string' ? constraint : undefined };
}

/** True for Postgres unique violations (SQLSTATE 23505), whichever driver layer wrapped them. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string } } | null;
  return e?.code === '23505' || e?.driverError?.code === '23505';
}

/** `WHERE` conditions with numbered parameters, added one filter at a time. */
export class SqlConditions {
  readonly params: unknown[] = [];
  private readonly clauses: string[];

  constructor(...fixed: string[]) {
    this.clauses = fixed.length ? [...fixed] : ['true'];
  }

  /** Adds `sql($n)` with `value` as parameter $n. */
  add(sql: (placeholder: string) => string, value: unknown): void {
    this.params.push(value);
    this.clauses.push(sql(`$${this.params.length}`));
  }

  get where(): string {
    return this.clauses.join(' AND ');
  }
}

/** One page of `table` rows matching `conditions`, with the total count. */
export async function selectPage(
  query: (sql: string, params: unknown[]) => Promise<Row[]>,
  table: string,
  conditions: SqlConditions,
  orderBy: string,
  page: number,
  perPage: number,
): Promise<{ rows: Row[]; total: number }> {
  const { where, params } = conditions;
  const [{ count }] = (await query(`SELECT count(*)::int AS count FROM ${table} WHERE ${where}`, params)) as Array<{ count: number }>;
  const rows = await query(
    `SELECT * FROM ${table} WHERE ${where} ORDER BY ${orderBy} LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
    [...params, perPage, (page - 1) * perPage],
  );
  return { rows, total: count };
}
