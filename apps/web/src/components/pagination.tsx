import type { Page } from '@attune/api-client';

/** Numbered pages, or cursor pages whose total the api may leave out (null) on a large table. */
type PageInfo = Page<unknown>['pagination'];

export function Pagination({ info, onPage }: { info: PageInfo; onPage: (page: number) => void }) {
  if (info.total === 0) return null;
  const first = (info.page - 1) * info.per_page + 1;
  const last = info.total === null ? info.page * info.per_page : Math.min(info.total, info.page * info.per_page);
  const hasNext = info.total_pages === null ? 'next_cursor' in info && info.next_cursor !== null : info.page < info.total_pages;
  return (
    <nav className="pagination" aria-label="Pagination">
      <span>
        {first}–{last}{info.total === null ? '' : ` of ${info.total}`}
      </span>
      <button type="button" className="btn btn-small" disabled={info.page <= 1} onClick={() => onPage(info.page - 1)}>
        ← Previous
      </button>
      <span>
        Page {info.page}{info.total_pages === null ? '' : ` of ${Math.max(1, info.total_pages)}`}
      </span>
      <button type="button" className="btn btn-small" disabled={!hasNext} onClick={() => onPage(info.page + 1)}>
        Next →
      </button>
    </nav>
  );
}
