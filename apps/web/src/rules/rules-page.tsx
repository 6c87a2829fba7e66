import { Link } from 'react-router';
import type { Rule } from '@attune/api-client';
import { useRoles } from '../auth/auth';
import { actionHref, RefLink, ruleHref, triggerHref } from '../components/links';
import { PagedList } from '../components/paged-table';
import { PageHead } from '../components/page-layout';
import { FilterBar, FilterInput } from '../components/filter-input';
import { EmptyList } from '../components/states';
import { Toggle } from '../components/toggle';
import { usePageQuery } from '../lib/use-page-query';
import { useTitle } from '../lib/use-title';
import { useUrlFilters } from '../lib/use-url-filters';
import { useRuleToggle } from './use-rule-toggle';

const PER_PAGE = 50;

export function RulesPage() {
  useTitle('Rules');
  const { filters, page, setPage, update, clear, filtered } = useUrlFilters(['pack_ref', 'trigger_ref', 'action_ref', 'enabled'] as const);
  const { isAdmin } = useRoles();
  const toggle = useRuleToggle();

  const list = usePageQuery('rules', '/api/v1/rules', { ...filters, page, per_page: PER_PAGE });

  return (
    <section>
      <PageHead title="Rules">
        <span className="muted small">When a trigger fires an event that matches, the rule runs its action.</span>
      </PageHead>
      <FilterBar filtered={filtered} onClear={clear}>
        <label>
          State
          <select name="enabled" value={filters.enabled} onChange={(e) => update({ enabled: e.target.value })}>
            <option value="">Any</option>
            <option value="true">Enabled</option>
            <option value="false">Disabled</option>
          </select>
        </label>
        {(['pack_ref', 'trigger_ref', 'action_ref'] as const).map((k) => (
          <FilterInput key={k} name={k} label={{ pack_ref: 'Pack', trigger_ref: 'Trigger', action_ref: 'Action' }[k]} size={14} value={filters[k]} onCommit={(v) => update({ [k]: v })} />
        ))}
      </FilterBar>
      {toggle.isError && (
        <p className="form-error" role="alert">
          Could not change the rule: {toggle.error.message}
        </p>
      )}
      <PagedList
        query={list}
        what="rules"
        empty={<EmptyList filtered={filtered} none="No rules yet." noMatch="No rule matches these filters." hint="Rules come in packs (rules/*.yaml) or through POST /api/v1/rules." />}
        className="rules-table"
        columns={['Rule', 'Trigger', 'Action', 'Conditions', 'State']}
        stale={list.isPlaceholderData}
        onPage={setPage}
      >
        {(r) => (
          <tr key={r.ref} data-rule={r.ref} data-enabled={r.enabled}>
            <td data-label="Rule" className="card-title">
              <Link to={ruleHref(r.ref)} className="mono">
                {r.ref}
              </Link>
              {r.label && r.label !== r.ref && <div className="muted small">{r.label}</div>}
            </td>
            <td data-label="Trigger">
              <RefLink to={triggerHref(r.trigger_ref)} refName={r.trigger_ref} />
            </td>
            <td data-label="Action">
              <RefLink to={actionHref(r.action_ref)} refName={r.action_ref} />
            </td>
            <td data-label="Conditions" className="small">
              {conditionSummary(r)}
            </td>
            <td data-label="State">
              {isAdmin ? (
                <Toggle
                  on={r.enabled}
                  label={`${r.ref} enabled`}
                  busy={toggle.isPending && toggle.variables?.ref === r.ref}
                  onChange={(enabled) => toggle.mutate({ ref: r.ref, enabled })}
                />
              ) : (
                <span className={`badge ${r.enabled ? 'badge-ok' : 'badge-muted'}`}>{r.enabled ? 'enabled' : 'disabled'}</span>
              )}
            </td>
          </tr>
        )}
      </PagedList>
    </section>
  );
}

/** "every event", "2 conditions (all)", or the expression. */
export function conditionSummary(r: Pick<Rule, 'conditions' | 'condition'>): string {
  const c = r.conditions;
  if (typeof c === 'string') return c;
  if (c && typeof c === 'object' && !Array.isArray(c) && typeof (c as { expression?: unknown }).expression === 'string') return (c as { expression: string }).expression;
  const n = Array.isArray(c) ? c.length : 0;
  if (n === 0) return 'every event';
  return `${n} condition${n === 1 ? '' : 's'} (${r.condition ?? 'all'})`;
}
