import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { api } from '../api/client';
import { useRoles } from '../auth/auth';
import { JsonBlock } from '../components/json-block';
import { actionHref, RefLink, triggerHref } from '../components/links';
import { Toggle } from '../components/toggle';
import { EnforcementsTable } from '../events/enforcements-table';
import { formatTimestamp } from '../lib/format';
import { useTitle } from '../lib/use-title';
import { conditionSummary } from './rules-page';
import { useRuleToggle } from './use-rule-toggle';
import { DetailQueryState } from '../components/query-state';
import { Fact, PageHead, Panel } from '../components/page-layout';

export function RulePage() {
  const ref = useParams().ref ?? '';
  const { isAdmin } = useRoles();
  const toggle = useRuleToggle();
  const rule = useQuery({
    queryKey: ['rule', ref],
    queryFn: () => api('/api/v1/rules/{ref}', { path: { ref } }).then((r) => r.data),
  });
  useTitle(rule.data ? `${rule.data.ref} · ${rule.data.enabled ? 'enabled' : 'disabled'}` : `Rule ${ref}`);

  if (!rule.isSuccess) return <DetailQueryState query={rule} what="rule" missing={`There is no rule ${ref}.`} back={{ to: '/rules', label: 'Back to the rules' }} />;
  const r = rule.data;
  const conditions = Array.isArray(r.conditions) ? r.conditions : [];
  return (
    <section>
      <PageHead back={{ to: '/rules', label: 'Rules' }} title={<span className="mono">{r.ref}</span>}>
        {isAdmin ? (
          <Toggle on={r.enabled} label={`${r.ref} enabled`} busy={toggle.isPending} onChange={(enabled) => toggle.mutate({ ref: r.ref, enabled })} />
        ) : (
          <span className={`badge ${r.enabled ? 'badge-ok' : 'badge-muted'}`}>{r.enabled ? 'enabled' : 'disabled'}</span>
        )}
      </PageHead>
      {toggle.isError && (
        <p className="form-error" role="alert">
          Could not change the rule: {toggle.error.message}
        </p>
      )}
      <div className="grid-2">
        <Panel title={r.label || 'Rule'}>
          {r.description && <p>{r.description}</p>}
          <dl className="facts">
            <Fact term="Trigger">
              <RefLink to={triggerHref(r.trigger_ref)} refName={r.trigger_ref} /> <Link to={`/events?trigger_ref=${encodeURIComponent(r.trigger_ref)}`} className="small">events</Link>
            </Fact>
            <Fact term="Action">
              <RefLink to={actionHref(r.action_ref)} refName={r.action_ref} />
            </Fact>
            <Fact term="Matches">{conditionSummary(r)}</Fact>
            <Fact term="Pack" className="mono">
              {r.pack_ref}
            </Fact>
            <Fact term="Updated">{formatTimestamp(r.updated)}</Fact>
          </dl>
        </Panel>
        <Panel title="Parameters">
          <h3>Action parameters</h3>
          {r.action_params && Object.keys(r.action_params).length ? <JsonBlock value={r.action_params} label="action parameters" /> : <p className="muted">None.</p>}
          {r.trigger_params && Object.keys(r.trigger_params).length > 0 && (
            <>
              <h3>Trigger parameters</h3>
              <JsonBlock value={r.trigger_params} label="trigger parameters" />
            </>
          )}
          {conditions.length > 0 && (
            <>
              <h3>Conditions ({r.condition ?? 'all'})</h3>
              <JsonBlock value={conditions} label="conditions" />
            </>
          )}
        </Panel>
      </div>
      <Panel title="Enforcements" head={<span className="muted small">the events this rule matched, and the runs they started</span>}>
        <EnforcementsTable filter={{ rule_ref: r.ref }} show="event" live />
      </Panel>
    </section>
  );
}
