import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api } from '../api/client';
import { useRoles } from '../auth/auth';
import { PagedList } from '../components/paged-table';
import { PageHead } from '../components/page-layout';
import { FilterBar, matchesSearch, SearchFilter } from '../components/filter-input';
import { EmptyList } from '../components/states';
import { usePageQuery } from '../lib/use-page-query';
import { useTitle } from '../lib/use-title';
import { useUrlFilters } from '../lib/use-url-filters';

const PER_PAGE = 50;

export function ActionsPage() {
  useTitle('Actions');
  const { filters, page, setPage, update } = useUrlFilters(['pack_ref', 'q'] as const);
  const { pack_ref: pack, q: search } = filters;
  const { canOperate } = useRoles();

  const actions = usePageQuery('actions', '/api/v1/actions', { pack_ref: pack, page, per_page: PER_PAGE });
  const packs = useQuery({ queryKey: ['packs'], queryFn: () => api('/api/v1/packs', { query: { per_page: 100 } }), staleTime: 60_000 });

  const narrowed = search.trim() !== '' || pack !== '';

  return (
    <section>
      <PageHead title="Actions" />
      <FilterBar>
        <label>
          Pack
          <select name="pack_ref" value={pack} onChange={(e) => update({ pack_ref: e.target.value })}>
            <option value="">All packs</option>
            {packs.data?.data.map((p) => (
              <option key={p.ref} value={p.ref}>
                {p.label ? `${p.label} (${p.ref})` : p.ref}
              </option>
            ))}
          </select>
        </label>
        <SearchFilter value={search} onChange={(q) => update({ q }, { replace: true })} />
      </FilterBar>
      <PagedList
        query={actions}
        what="actions"
        rows={(data) => data.data.filter((a) => matchesSearch(a, search))}
        empty={
          <EmptyList
            filtered={narrowed}
            none="No actions are registered."
            noMatch="No action matches."
            changeHint="Change the pack or the search."
            hint="Upload a pack (POST /api/v1/packs/upload, or `attune pack upload`)."
          />
        }
        className="actions-table"
        columns={['Action', 'Description', 'Runtime', '']}
        stale={actions.isPlaceholderData}
        onPage={setPage}
      >
        {(a) => (
          <tr key={a.ref} data-action={a.ref}>
            <td data-label="Action" className="card-title">
              <div className="mono">{a.ref}</div>
              <div className="muted small">{a.label}</div>
            </td>
            <td data-label="Description">{a.description ?? <span className="muted">—</span>}</td>
            <td data-label="Runtime">
              <span className="badge badge-muted">{a.runtime}</span>
              {!a.enabled && <span className="badge badge-warn">disabled</span>}
            </td>
            <td className="actions-cell" data-label="">
              {canOperate && a.enabled && (
                <Link className="btn btn-small btn-primary" to={`/actions/${encodeURIComponent(a.ref)}/run`}>
                  Run
                </Link>
              )}
            </td>
          </tr>
        )}
      </PagedList>
    </section>
  );
}
