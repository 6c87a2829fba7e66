import { DomainError } from '@attune/contracts';
import { type Row, rowsOf } from './rows';

/**
 * One page of a list that stays fast however long the table grows: keyset ("cursor") or offset
 * paging over an order an index serves, and a total that is exact only while counting is cheap.
 *
 * - **Order.** `created DESC, id DESC` (executions, artifacts) or `id DESC` (events and
 *   enforcements, whose ids are their insertion order). Every filter the API offers has an index
 *   ending in that order (migration 1765900000000), so a page reads `per_page + 1` index entries.
 * - **Cursor.** The sort key of the last row of a page, opaque to clients. The next page is the rows
 *   strictly after it in the order, so rows inserted meanwhile (newer, so before the cursor) never
 *   shift a walk: no duplicate, no gap. Offsets (`page`) stay for compatibility; past a few
 *   thousand rows they cost one index entry per skipped row.
 * - **Total.** Counted exactly up to EXACT_TOTAL_LIMIT matching rows (a bounded index scan);
 *   past that the planner's estimate is answered and marked `total_estimated`. `total=exact`
 *   asks for the exact count whatever it costs; `total=none` skips counting.
 */
export const EXACT_TOTAL_LIMIT = 10_000;

export type TotalMode = 'auto' | 'exact' | 'none';
export const TOTAL_MODES: readonly TotalMode[] = ['auto', 'exact', 'none'];

export interface ListRequest {
  page: number;
  perPage: number;
  /** An opaque cursor from a previous page's `next_cursor`; when set, `page` is ignored. */
  cursor?: string;
  total?: TotalMode;
}

export interface ListPage<T> {
  items: T[];
  /** Exact, or estimated when `totalEstimated`; null when not counted (`total=none`). */
  total: number | null;
  totalEstimated: boolean;
  /** The cursor of the page after this one; null on the last page. */
  nextCursor: string | null;
}

/**
 * Repositories' list() take a ListRequest, or (page, perPage) as before: callers that page by
 * number keep working unchanged.
 */
export function asListRequest(reqOrPage: ListRequest | number, perPage?: number): ListRequest {
  return typeof reqOrPage === 'number' ? { page: reqOrPage, perPage: perPage ?? 20 } : reqOrPage;
}

/** A list's SQL conditions, built by a repository from its filter. */
export class ListConditions {
  readonly where: string[] = [];
  readonly params: unknown[] = [];

  /** Adds `clause(n)` where `$n` is `value`'s placeholder. */
  add(clause: (n: number) => string, value: unknown): this {
    this.params.push(value);
    this.where.push(clause(this.params.length));
    return this;
  }

  /**
   * Adds `column = $n` for each field of `filter` that `columns` names and the filter sets (neither
   * undefined nor '': an empty query parameter filters nothing), in the order of `columns`.
   */
  equal<F extends object>(filter: F, columns: { [K in keyof F]?: string }): this {
    for (const [field, column] of Object.entries(columns) as Array<[keyof F, string]>) {
      const value = filter[field];
      if (value !== undefined && value !== '') this.add((n) => `${column} = $${n}`, value);
    }
    return this;
  }

  sql(): string {
    return this.where.length ? `WHERE ${this.where.join(' AND ')}` : '';
  }
}

export type KeyOrder = 'created' | 'id';

interface Keyset {
  /** The row's `created` exactly as Postgres prints it (microseconds kept), for `created` order. */
  c?: string;
  i: number;
}

function encodeCursor(k: Keyset): string {
  return Buffer.from(JSON.stringify(k)).toString('base64url');
}

/** Decodes a client's cursor; anything not made by encodeCursor for this order is a 422. */
export function decodeCursor(cursor: string, order: KeyOrder): Keyset {
  const bad = () => new DomainError('VALIDATION_ERROR', 'cursor is not a cursor this list issued', [{ field: 'cursor', message: 'invalid cursor' }]);
  if (cursor.length > 200 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad();
  let k: unknown;
  try {
    k = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  const key = k as Partial<Keyset> | null;
  if (!key || typeof key !== 'object' || !Number.isSafeInteger(key.i) || (key.i as number) < 1) throw bad();
  if (order === 'created') {
    // Postgres' own output of a timestamptz: 2026-12-07 02:22:46.123456+00
    if (typeof key.c !== 'string' || !/^\d{4,}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,6})?[+-]\d\d(:\d\d)?$/.test(key.c)) throw bad();
    return { c: key.c, i: key.i as number };
  }
  return { i: key.i as number };
}

type Query = (sql: string, params: unknown[]) => Promise<unknown>;

/**
 * Reads one page of `table` under `conditions`. Rows come back whole (`SELECT *`) with an extra
 * `_cursor_created` column the caller may ignore.
 */
export async function listPage<T>(
  query: Query,
  table: string,
  conditions: ListConditions,
  order: KeyOrder,
  req: ListRequest,
  map: (row: Row) => T,
): Promise<ListPage<T>> {
  const filtered = new ListConditions();
  filtered.where.push(...conditions.where);
  filtered.params.push(...conditions.params);
  const orderBy = order === 'created' ? 'created DESC, id DESC' : 'id DESC';
  let offset = 0;
  if (req.cursor) {
    const key = decodeCursor(req.cursor, order);
    if (order === 'created') {
      filtered.params.push(key.c, key.i);
      const n = filtered.params.length;
      filtered.where.push(`(created, id) < ($${n - 1}::timestamptz, $${n}::bigint)`);
    } else {
      filtered.add((n) => `id < $${n}::bigint`, key.i);
    }
  } else {
    offset = (req.page - 1) * req.perPage;
  }
  // One round trip for the page and its count (the count's filter is the page's without the
  // cursor, so it reuses the same leading parameters). The count sits in the outer row, so an
  // empty page still answers it. The page is found on the index alone (ids only: rows skipped by
  // an offset cost an index entry each, not a heap read) and only its rows are then read whole.
  const mode = req.total ?? 'auto';
  const n = filtered.params.length;
  const params: unknown[] = [...filtered.params, req.perPage + 1, offset];
  let count = 'NULL';
  if (mode !== 'none') {
    const limit = mode === 'auto' ? `LIMIT $${params.push(EXACT_TOTAL_LIMIT + 1)}` : '';
    count = `(SELECT count(*) FROM (SELECT 1 FROM ${table} ${conditions.sql()} ${limit}) c)`;
  }
  const outerOrder = order === 'created' ? 'p.created DESC, p.id DESC' : 'p.id DESC';
  const raw = rowsOf(
    await query(
      `SELECT ${count}::bigint AS _list_total, p.*
         FROM (SELECT 1) one
         LEFT JOIN (SELECT t.*, t.created::text AS _cursor_created
                      FROM (SELECT id FROM ${table} ${filtered.sql()} ORDER BY ${orderBy} LIMIT $${n + 1} OFFSET $${n + 2}) k
                      JOIN ${table} t ON t.id = k.id) p ON true
        ORDER BY ${outerOrder}`,
      params,
    ),
  );
  const rows = raw.filter((r) => r.id !== null && r.id !== undefined);
  const more = rows.length > req.perPage;
  const pageRows = more ? rows.slice(0, req.perPage) : rows;
  const last = pageRows[pageRows.length - 1];
  const nextCursor =
    more && last ? encodeCursor(order === 'created' ? { c: String(last._cursor_created), i: Number(last.id) } : { i: Number(last.id) }) : null;
  const counted = raw[0]?._list_total === null || raw[0]?._list_total === undefined ? null : Number(raw[0]._list_total);
  if (counted === null || mode === 'exact' || counted <= EXACT_TOTAL_LIMIT) {
    return { items: pageRows.map(map), total: counted, totalEstimated: false, nextCursor };
  }
  // Past the limit: the planner's row estimate (statistics kept by autovacuum/ANALYZE), never
  // below what was counted.
  const [plan] = rowsOf(await query(`EXPLAIN (FORMAT JSON) SELECT 1 FROM ${table} ${conditions.sql()}`, conditions.params));
  const json = plan['QUERY PLAN'] as Array<{ Plan: { 'Plan Rows': number } }>;
  const estimate = Math.round(json?.[0]?.Plan?.['Plan Rows'] ?? 0);
  return { items: pageRows.map(map), total: Math.max(estimate, counted), totalEstimated: true, nextCursor };
}
