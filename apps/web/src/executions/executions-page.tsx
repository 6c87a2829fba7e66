import { useQuery } from '@tanstack/react-query';
import { Link, useNavigate } from 'react-router';
import { api } from '../api/client';
import { EXECUTION_STATUSES, isTerminal } from '@attune/api-client';
import { FilterBar, FilterInput, SelectFilter } from '../components/filter-input';
import { PagedList } from '../components/paged-table';
import { PageHead } from '../components/page-layout';
import { EmptyList } from '../components/states';
import { StatusBadge } from '../components/status-badge';
import { CreatedCell } from '../components/time';
import { executionDuration, formatDuration } from '../lib/format';
import { useNow } from '../lib/use-now';
import { usePageQuery } from '../lib/use-page-query';
import { useTitle } from '../lib/use-title';
import { useUrlFilters } from '../lib/use-url-filters';
import { StartedBy } from './started-by';

const PER_PAGE = 20;
/** While anything on the page runs, refresh every 2 s; otherwise every 5 s, to pick up new runs. */
const LIVE_MS = 2_000;
const IDLE_MS = 5_000;

export function ExecutionsPage() {
  useTitle('Executions');
  const navigate = useNavigate();
  const { filters, page, setPage, update, clear, filtered } = useUrlFilters(['status', 'action_ref', 'executor_login'] as const);
  const { status, action_ref: action, executor_login: by } = filters;

  const list = usePageQuery('executions', '/api/v1/executions', { ...filters, page, per_page: PER_PAGE }, {
    refetchInterval: (q) => (q.state.data?.data.some((e) => !isTerminal(e.status)) ? LIVE_MS : IDLE_MS),
  });
  const actions = useQuery({
    queryKey: ['actions', 'refs'],
    queryFn: () => api('/api/v1/actions', { query: { per_page: 100 } }),
    staleTime: 60_000,
  });

  const running = list.data?.data.filter((e) => !isTerminal(e.status)).length ?? 0;
  const now = useNow(running > 0 ? 1_000 : 15_000);

  return (
    <section>
      <PageHead title="Executions">
        {running > 0 && (
          <span className="live" title="This list refreshes while executions run">
            <span className="pulse" aria-hidden /> {running} in progress
          </span>
        )}
        <div className="spacer" />
        <Link to="/actions" className="btn btn-primary">
          Run an action
        </Link>
      </PageHead>

      <FilterBar filtered={filtered} onClear={clear}>
        <SelectFilter name="status" label="Status" value={status} options={EXECUTION_STATUSES} onChange={(v) => update({ status: v })} />
        <FilterInput name="action_ref" label="Action" list="action-refs" placeholder="pack.action" value={action} onCommit={(v) => update({ action_ref: v })}>
          <datalist id="action-refs">
            {actions.data?.data.map((a) => (
              <option key={a.ref} value={a.ref} />
            ))}
          </datalist>
        </FilterInput>
        <FilterInput name="executor_login" label="Started by" placeholder="login" size={14} value={by} onCommit={(v) => update({ executor_login: v })} />
      </FilterBar>

      <PagedList
        query={list}
        what="executions"
        empty={<EmptyList filtered={filtered} none="No executions yet." noMatch="No execution matches these filters." hint={<Link to="/actions">Run an action</Link>} />}
        className="executions-table"
        columns={['ID', 'Action', 'Status', 'Duration', 'Started by', 'Created', { label: 'Worker', className: 'wide-only' }]}
        stale={list.isPlaceholderData}
        onPage={setPage}
      >
        {(e) => (
          <tr key={e.id} className="clickable" onClick={() => navigate(`/executions/${e.id}`)} data-execution={e.id} data-action={e.action_ref}>
            <td data-label="ID" className="card-title">
              <Link to={`/executions/${e.id}`} onClick={(ev) => ev.stopPropagation()}>
                #{e.id}
              </Link>{' '}
              <span className="mono card-only">{e.action_ref}</span>
            </td>
            <td data-label="Action" className="mono wide-only">
              {e.action_ref}
            </td>
            <td data-label="Status">
              <StatusBadge status={e.status} />
            </td>
            <td data-label="Duration" className="num">
              {formatDuration(executionDuration(e, now))}
            </td>
            <td data-label="Started by" className="small">
              <StartedBy execution={e} />
            </td>
            <CreatedCell iso={e.created} />
            <td data-label="Worker" className="muted mono small wide-only">
              {e.worker ?? '—'}
            </td>
          </tr>
        )}
      </PagedList>
    </section>
  );
}
