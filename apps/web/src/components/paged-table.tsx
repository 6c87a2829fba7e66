import type { Page } from '@attune/api-client';
import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Pagination } from './pagination';
import { QueryState } from './query-state';

/** One header cell: its text, or the text with a class (`wide-only` columns) or, for an icon column, an aria-label. */
export type Column = string | { label: string; className?: string; ariaLabel?: string };

/** A table's header row. */
export function TableHead({ columns }: { columns: Column[] }) {
  return (
    <thead>
      <tr>
        {columns.map((c, i) =>
          typeof c === 'string' ? (
            <th key={i}>{c || undefined}</th>
          ) : (
            <th key={i} className={c.className} aria-label={c.ariaLabel}>
              {c.label}
            </th>
          ),
        )}
      </tr>
    </thead>
  );
}

/**
 * A list page's table (cards on narrow screens) and its pagination. `stale` dims it while the next
 * page loads (react-query's placeholder data).
 */
export function PagedTable({
  className,
  columns,
  stale = false,
  pagination,
  onPage,
  children,
}: {
  className: string;
  columns: Column[];
  stale?: boolean;
  pagination: Page<unknown>['pagination'];
  onPage: (page: number) => void;
  children: ReactNode;
}) {
  return (
    <>
      <table className={`table cards ${className} ${stale ? 'stale' : ''}`} aria-busy={stale || undefined}>
        <TableHead columns={columns} />
        <tbody>{children}</tbody>
      </table>
      <Pagination info={pagination} onPage={onPage} />
    </>
  );
}

/**
 * A list page's body for its query: loading or the error, then `empty` when there is no row to show,
 * else the rows in a PagedTable. `rows` picks what is shown of the page (by default all of it), for a
 * list the page narrows itself.
 */
export function PagedList<D extends Page<unknown>, R = D['data'][number]>({
  query,
  what,
  rows,
  empty,
  className,
  columns,
  stale,
  onPage,
  children,
}: {
  query: UseQueryResult<D>;
  what: string;
  rows?: (data: D) => R[];
  empty?: ReactNode;
  className: string;
  columns: Column[];
  stale?: boolean;
  onPage: (page: number) => void;
  children: (row: R) => ReactNode;
}) {
  return (
    <QueryState query={query} what={what}>
      {(data) => {
        const shown = rows ? rows(data) : (data.data as R[]);
        if (shown.length === 0 && empty) return empty;
        return (
          <PagedTable className={className} columns={columns} stale={stale} pagination={data.pagination} onPage={onPage}>
            {shown.map((row) => children(row))}
          </PagedTable>
        );
      }}
    </QueryState>
  );
}
