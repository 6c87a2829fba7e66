import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { api, query } from '../api/client';
import type { Action, Page, Pack } from '../api/types';
import { useRoles } from '../auth/auth';
import { Pagination } from '../components/pagination';
import { EmptyState, ErrorState, Loading } from '../components/states';

const PER_PAGE = 50;

export function ActionsPage() {
  const [params, setParams] = useSearchParams();
  const pack = params.get('pack_ref') ?? '';
  const page = Math.max(1, Number(params.get('page')) || 1);
  const search = params.get('q') ?? '';
  const { canOperate } = useRoles();

  const actions = useQuery({
    queryKey: ['actions', { pack, page }],
    queryFn: () => api<Page<Action>>(`/api/v1/actions${query({ pack_ref: pack, page, per_page: PER_PAGE })}`),
    placeholderData: keepPreviousData,
  });
  const packs = useQuery({ queryKey: ['packs'], queryFn: () => api<Page<Pack>>('/api/v1/packs?per_page=100'), staleTime: 60_000 });

  const set = (k: string, v: string) => {
    const next = new URLSearchParams(params);
    if (v) next.set(k, v);
    else next.delete(k);
    if (k !== 'page') next.delete('page');
    setParams(next, { replace: k === 'q' });
  };

  const needle = search.trim().toLowerCase();
  const shown = actions.data?.data.filter((a) => !needle || `${a.ref} ${a.label} ${a.description ?? ''}`.toLowerCase().includes(needle)) ?? [];

  return (
    <section>
      <div className="page-head">
        <h1>Actions</h1>
      </div>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filters">
        <label>
          Pack
          <select name="pack_ref" value={pack} onChange={(e) => set('pack_ref', e.target.value)}>
            <option value="">All packs</option>
            {packs.data?.data.map((p) => (
              <option key={p.ref} value={p.ref}>
                {p.label ? `${p.label} (${p.ref})` : p.ref}
              </option>
            ))}
          </select>
        </label>
        <label>
          Search
          <input name="q" type="search" placeholder="ref, label or description" value={search} onChange={(e) => set('q', e.target.value)} />
        </label>
      </form>
      {actions.isPending ? (
        <Loading what="Loading actions" />
      ) : actions.isError ? (
        <ErrorState error={actions.error} onRetry={() => actions.refetch()} title="The actions could not be loaded" />
      ) : shown.length === 0 ? (
        <EmptyState title={needle || pack ? 'No action matches.' : 'No actions are registered.'}>
          {needle || pack ? 'Change the pack or the search.' : 'Upload a pack (POST /api/v1/packs/upload, or `attune pack upload`).'}
        </EmptyState>
      ) : (
        <>
          <table className={`table actions-table ${actions.isPlaceholderData ? 'stale' : ''}`} aria-busy={actions.isPlaceholderData || undefined}>
            <thead>
              <tr>
                <th>Action</th>
                <th>Description</th>
                <th>Runtime</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {shown.map((a) => (
                <tr key={a.ref} data-action={a.ref}>
                  <td>
                    <div className="mono">{a.ref}</div>
                    <div className="muted small">{a.label}</div>
                  </td>
                  <td>{a.description ?? <span className="muted">—</span>}</td>
                  <td>
                    <span className="badge badge-muted">{a.runtime}</span>
                    {!a.enabled && <span className="badge badge-warn">disabled</span>}
                  </td>
                  <td className="actions-cell">
                    {canOperate && a.enabled && (
                      <Link className="btn btn-small btn-primary" to={`/actions/${encodeURIComponent(a.ref)}/run`}>
                        Run
                      </Link>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pagination info={actions.data.pagination} onPage={(p) => set('page', String(p))} />
        </>
      )}
    </section>
  );
}
