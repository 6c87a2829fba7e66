import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { ApiError } from '../api/client';
import { EmptyState, ErrorState, Loading } from './states';

/**
 * What a list page shows for its query: loading, the error with a retry, the empty state (when
 * `empty` answers something for the data), or the data itself.
 */
export function QueryState<T>({
  query,
  what,
  empty,
  children,
}: {
  query: UseQueryResult<T>;
  what: string;
  empty?: (data: T) => ReactNode;
  children: (data: T) => ReactNode;
}) {
  if (query.isPending) return <Loading what={`Loading ${what}`} />;
  if (query.isError) return <ErrorState error={query.error} onRetry={() => query.refetch()} title={`The ${what} could not be loaded`} />;
  return <>{empty?.(query.data) || children(query.data)}</>;
}

/**
 * What a detail page shows while its object is not there: loading, "does not exist" (404) with the
 * way back to the list, or the error with a retry.
 */
export function DetailQueryState({ query, what, missing, back }: { query: UseQueryResult<unknown>; what: string; missing: string; back: { to: string; label: string } }) {
  if (query.isError && query.error instanceof ApiError && query.error.status === 404) {
    return (
      <EmptyState title={missing}>
        <Link to={back.to}>{back.label}</Link>
      </EmptyState>
    );
  }
  if (query.isError) return <ErrorState error={query.error} onRetry={() => query.refetch()} title={`The ${what} could not be loaded`} />;
  return <Loading what={`Loading the ${what}`} />;
}
