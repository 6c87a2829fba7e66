import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api, query } from '../api/client';
import { type Action, EXECUTION_STATUSES, type Execution, isTerminal, type Page } from '../api/types';
import { Pagination } from '../components/pagination';
import { EmptyState, ErrorState, Loading } from '../components/states';
import { StatusBadge } from '../components/status-badge';
import { Time } from '../components/time';
import { executionDuration, formatDuration } from '../lib/format';
import { useNow } from '../lib/use-now';

const PER_PAGE = 20;
/** While anything on the page runs, refresh every 2 s; otherwise every 5 s, to pick up new runs. */
const LIVE_MS = 2_000;
const IDLE_MS = 5_000;

export function ExecutionsPage() {
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const status = params.get('status') ?? '';
  const action = params.get('action_ref') ?? '';
  const page = Math.max(1, Number(params.get('page')) || 1);

  const list = useQuery({
    queryKey: ['executions', { status, action, page }],
    queryFn: () => api<Page<Execution>>(`/api/v1/executions${query({ status, action_ref: action, page, per_page: PER_PAGE })}`),
    placeholderData: keepPreviousData,
    refetchInterval: (q) => (q.state.data?.data.some((e) => !isTerminal(e.status)) ? LIVE_MS : IDLE_MS),
  });
  const actions = useQuery({
    queryKey: ['actions', 'refs'],
    queryFn: () => api<Page<Action>>('/api/v1/actions?per_page=100'),
    staleTime: 60_000,
  });

  const update = (changes: Record<string, string>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    if (!('page' in changes)) next.delete('page');
    setParams(next);
  };

  const running = list.data?.data.filter((e) => !isTerminal(e.status)).length ?? 0;
  const now = useNow(running > 0 ? 1_000 : 15_000);

  return (
    <section>
      <div className="page-head">
        <h1>Executions</h1>
        {running > 0 && (
          <span className="live" title="This list refreshes while executions run">
            <span className="pulse" aria-hidden /> {running} in progress
          </span>
        )}
        <div className="spacer" />
        <Link to="/actions" className="btn btn-primary">
          Run an action
        </Link>
      </div>

      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filters">
        <label>
          Status
          <select name="status" value={status} onChange={(e) => update({ status: e.target.value })}>
            <option value="">Any</option>
            {EXECUTION_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Action
          <input
            name="action_ref"
            list="action-refs"
            placeholder="pack.action"
            defaultValue={action}
            key={action}
            onBlur={(e) => e.target.value.trim() !== action && update({ action_ref: e.target.value.trim() })}
            onKeyDown={(e) => e.key === 'Enter' && update({ action_ref: e.currentTarget.value.trim() })}
          />
          <datalist id="action-refs">
            {actions.data?.data.map((a) => (
              <option key={a.ref} value={a.ref} />
            ))}
          </datalist>
        </label>
        {(status || action) && (
          <button type="button" className="btn btn-link" onClick={() => setParams(new URLSearchParams())}>
            Clear filters
          </button>
        )}
      </form>

      {list.isPending ? (
        <Loading what="Loading executions" />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => list.refetch()} title="The executions could not be loaded" />
      ) : list.data.data.length === 0 ? (
        <EmptyState title={status || action ? 'No execution matches these filters.' : 'No executions yet.'}>
          {status || action ? 'Change or clear the filters.' : <Link to="/actions">Run an action</Link>}
        </EmptyState>
      ) : (
        <>
          <table className={`table executions-table ${list.isPlaceholderData ? 'stale' : ''}`} aria-busy={list.isPlaceholderData || undefined}>
            <thead>
              <tr>
                <th>ID</th>
                <th>Action</th>
                <th>Status</th>
                <th>Duration</th>
                <th>Created</th>
                <th>Worker</th>
              </tr>
            </thead>
            <tbody>
              {list.data.data.map((e) => (
                <tr key={e.id} className="clickable" onClick={() => navigate(`/executions/${e.id}`)} data-execution={e.id} data-action={e.action_ref}>
                  <td>
                    <Link to={`/executions/${e.id}`} onClick={(ev) => ev.stopPropagation()}>
                      #{e.id}
                    </Link>
                  </td>
                  <td className="mono">{e.action_ref}</td>
                  <td>
                    <StatusBadge status={e.status} />
                  </td>
                  <td className="num">{formatDuration(executionDuration(e, now))}</td>
                  <td>
                    <Time iso={e.created} />
                  </td>
                  <td className="muted mono small">{e.worker ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pagination info={list.data.pagination} onPage={(p) => update({ page: String(p) })} />
        </>
      )}
    </section>
  );
}
