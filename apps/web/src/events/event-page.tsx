import { useQuery } from '@tanstack/react-query';
import { useParams } from 'react-router';
import { api } from '../api/client';
import { JsonBlock } from '../components/json-block';
import { RefLink, triggerHref } from '../components/links';
import { EmptyState } from '../components/states';
import { formatTimestamp } from '../lib/format';
import { useTitle } from '../lib/use-title';
import { EnforcementsTable } from './enforcements-table';
import { DetailQueryState } from '../components/query-state';
import { Fact, PageHead, Panel } from '../components/page-layout';

export function EventPage() {
  const rawId = useParams().id;
  const id = Number(rawId);
  const valid = Number.isInteger(id) && id > 0;
  const event = useQuery({
    queryKey: ['event', id],
    queryFn: () => api('/api/v1/events/{id}', { path: { id } }).then((r) => r.data),
    enabled: valid,
    // Until the executor has matched it against the rules.
    refetchInterval: (q) => (q.state.data?.processed_at ? false : 1_000),
  });
  useTitle(event.data ? `Event #${id} ${event.data.trigger_ref}` : `Event #${rawId}`);

  if (!valid) return <EmptyState title={`There is no event "${rawId}".`} />;
  if (!event.isSuccess) return <DetailQueryState query={event} what="event" missing={`Event #${id} does not exist.`} back={{ to: '/events', label: 'Back to the events' }} />;
  const e = event.data;
  return (
    <section>
      <PageHead back={{ to: '/events', label: 'Events' }} title={<>Event #{e.id} <span className="mono subtle">{e.trigger_ref}</span></>} />
      <div className="grid-2">
        <Panel title="Details">
          <dl className="facts">
            <Fact term="Trigger">
              <RefLink to={triggerHref(e.trigger_ref)} refName={e.trigger_ref} />
            </Fact>
            <Fact term="Source" className="mono small">
              {e.source ?? '—'}
            </Fact>
            <Fact term="Created">{formatTimestamp(e.created)}</Fact>
            <Fact term="Matched">{e.processed_at ? formatTimestamp(e.processed_at) : <span className="muted">not yet</span>}</Fact>
          </dl>
        </Panel>
        <Panel title="Payload">
          <JsonBlock value={e.payload} label="payload" />
        </Panel>
      </div>
      <Panel title="Enforcements and executions">
        <EnforcementsTable filter={{ event: e.id }} show="rule" live={!e.processed_at} />
      </Panel>
    </section>
  );
}
