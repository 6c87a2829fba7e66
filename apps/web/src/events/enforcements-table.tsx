import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api } from '../api/client';
import { ExecutionLink, RefLink, ruleHref } from '../components/links';
import { QueryState } from '../components/query-state';
import { EmptyState } from '../components/states';
import { CreatedCell } from '../components/time';
import { TableHead } from '../components/paged-table';

const TONE = { created: 'pending', processed: 'ok', disabled: 'warn' } as const;

/** Enforcements (what a rule did with an event) with the executions they made, for an event or a rule. */
export function EnforcementsTable({ filter, live, show }: { filter: { event?: number; rule_ref?: string }; live?: boolean; show: 'rule' | 'event' }) {
  const list = useQuery({
    queryKey: ['enforcements', filter],
    queryFn: () => api('/api/v1/enforcements', { query: { ...filter, per_page: 50 } }),
    // A matched enforcement is `created` until its execution exists.
    refetchInterval: (q) => (live || q.state.data?.data.some((e) => e.status === 'created') ? 2_000 : false),
  });
  return (
    <QueryState
      query={list}
      what="enforcements"
      empty={(data) => data.data.length === 0 && <EmptyState title={show === 'rule' ? 'No rule matched this event.' : 'This rule has not matched an event yet.'} />}
    >
      {(data) => (
        <table className="table cards enforcements-table">
          <TableHead columns={['Enforcement', show === 'rule' ? 'Rule' : 'Event', 'Status', 'Executions', 'Created']} />
          <tbody>
            {data.data.map((e) => (
              <tr key={e.id} data-enforcement={e.id}>
                <td data-label="Enforcement" className="card-title">
                  #{e.id}
                </td>
                <td data-label={show === 'rule' ? 'Rule' : 'Event'}>
                  {show === 'rule' ? <RefLink to={ruleHref(e.rule_ref)} refName={e.rule_ref} /> : e.event ? <Link to={`/events/${e.event}`}>#{e.event}</Link> : '—'}
                </td>
                <td data-label="Status">
                  <span className={`badge badge-${TONE[e.status] ?? 'muted'}`}>{e.status}</span>
                  {e.error && <div className="small form-text-error">{e.error}</div>}
                </td>
                <td data-label="Executions">
                  {e.executions?.length ? (
                    <span className="chips">
                      {e.executions.map((id) => (
                        <ExecutionLink key={id} id={id} />
                      ))}
                    </span>
                  ) : (
                    <span className="muted">none</span>
                  )}
                </td>
                <CreatedCell iso={e.created} />
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </QueryState>
  );
}
