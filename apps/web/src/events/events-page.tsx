import { Link, useNavigate } from 'react-router';
import { RefLink, triggerHref } from '../components/links';
import { PagedList } from '../components/paged-table';
import { PageHead } from '../components/page-layout';
import { FilterBar, FilterInput } from '../components/filter-input';
import { EmptyState } from '../components/states';
import { CreatedCell } from '../components/time';
import { usePageQuery } from '../lib/use-page-query';
import { useTitle } from '../lib/use-title';
import { useUrlFilters } from '../lib/use-url-filters';

const PER_PAGE = 25;

/** A short one-line view of a payload for the list; the event's page shows it whole. */
export function payloadPreview(payload: unknown, max = 90): string {
  const s = payload === undefined || payload === null ? '' : JSON.stringify(payload);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export function EventsPage() {
  useTitle('Events');
  const navigate = useNavigate();
  const { filters, page, setPage, update, clear, filtered } = useUrlFilters(['trigger_ref'] as const);
  const list = usePageQuery('events', '/api/v1/events', { ...filters, page, per_page: PER_PAGE }, { refetchInterval: 5_000 });

  return (
    <section>
      <PageHead title="Events" />
      <FilterBar filtered={filtered} onClear={clear}>
        <FilterInput name="trigger_ref" label="Trigger" placeholder="pack.trigger" value={filters.trigger_ref} onCommit={(v) => update({ trigger_ref: v })} />
      </FilterBar>
      <PagedList
        query={list}
        what="events"
        empty={<EmptyState title={filtered ? 'No event of this trigger.' : 'No events yet.'}>A webhook call or a timer makes one.</EmptyState>}
        className="events-table"
        columns={['Event', 'Trigger', 'Payload', 'Matched', 'Created']}
        stale={list.isPlaceholderData}
        onPage={setPage}
      >
        {(e) => (
          <tr key={e.id} className="clickable" data-event={e.id} onClick={() => navigate(`/events/${e.id}`)}>
            <td data-label="Event" className="card-title">
              <Link to={`/events/${e.id}`} onClick={(ev) => ev.stopPropagation()}>
                #{e.id}
              </Link>
            </td>
            <td data-label="Trigger">
              <RefLink to={triggerHref(e.trigger_ref)} refName={e.trigger_ref} />
            </td>
            <td data-label="Payload" className="mono small payload-cell">
              {payloadPreview(e.payload)}
            </td>
            <td data-label="Matched">{e.processed_at ? <span className="badge badge-ok">processed</span> : <span className="badge badge-pending">pending</span>}</td>
            <CreatedCell iso={e.created} />
          </tr>
        )}
      </PagedList>
    </section>
  );
}
