import { keepPreviousData, useQuery, type UseQueryOptions } from '@tanstack/react-query';
import type { PathsWith, SuccessBody } from '@attune/api-client';
import { api, type CallOptions } from '../api/client';

/**
 * One page of a list the api answers at `path`, for a list page: `query` holds its filters, the
 * page and the page size. The page shown stays while the next one loads (`isPlaceholderData`). The
 * query key starts with `name`, so a change can invalidate every page of the list at once.
 */
export function usePageQuery<P extends PathsWith<'get'>>(
  name: string,
  path: P,
  query: CallOptions<P, 'get'>['query'],
  options: Pick<UseQueryOptions<SuccessBody<P>>, 'enabled' | 'refetchInterval'> = {},
) {
  return useQuery({
    queryKey: [name, query],
    queryFn: () => api(path, { query }),
    placeholderData: keepPreviousData,
    ...options,
  });
}
