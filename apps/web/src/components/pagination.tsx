import type { Pagination as PageInfo } from '../api/types';

export function Pagination({ info, onPage }: { info: PageInfo; onPage: (page: number) => void }) {
  if (info.total === 0) return null;
  const first = (info.page - 1) * info.per_page + 1;
  const last = Math.min(info.total, info.page * info.per_page);
  return (
    <nav className="pagination" aria-label="Pagination">
      <span>
        {first}–{last} of {info.total}
      </span>
      <button type="button" className="btn btn-small" disabled={info.page <= 1} onClick={() => onPage(info.page - 1)}>
        ← Previous
      </button>
      <span>
        Page {info.page} of {Math.max(1, info.total_pages)}
      </span>
      <button type="button" className="btn btn-small" disabled={info.page >= info.total_pages} onClick={() => onPage(info.page + 1)}>
        Next →
      </button>
    </nav>
  );
}
