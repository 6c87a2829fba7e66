import { useSearchParams } from 'react-router';

/**
 * Filters and the page number kept in the URL, so a list can be linked, reloaded and shared.
 * `update` sets (or, given '', removes) keys, and goes back to page 1 unless it sets the page.
 * `urlKey` changes with the URL: a form of uncontrolled fields keyed on it shows the URL's values
 * again after "Clear filters" or Back.
 */
export function useUrlFilters<K extends string>(keys: readonly K[]) {
  const [params, setParams] = useSearchParams();
  const filters = Object.fromEntries(keys.map((k) => [k, params.get(k) ?? ''])) as Record<K, string>;
  const page = Math.max(1, Number(params.get('page')) || 1);
  const write = (changes: Record<string, string | undefined>, opts?: { replace?: boolean }) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    if (!('page' in changes)) next.delete('page');
    setParams(next, opts);
  };
  const update = (changes: Partial<Record<K | 'page', string>>, opts?: { replace?: boolean }) => write(changes, opts);
  const setPage = (n: number) => write({ page: String(n) });
  const clear = () => setParams(new URLSearchParams());
  return { filters, page, setPage, update, clear, filtered: keys.some((k) => filters[k] !== ''), urlKey: params.toString() };
}
