import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api } from '../api/client';
import type { Trigger } from '@attune/api-client';
import { useRoles } from '../auth/auth';
import { PagedList } from '../components/paged-table';
import { PageHead } from '../components/page-layout';
import { FilterBar, FilterInput, matchesSearch, SearchFilter } from '../components/filter-input';
import { EmptyState } from '../components/states';
import { usePageQuery } from '../lib/use-page-query';
import { useTitle } from '../lib/use-title';
import { useUrlFilters } from '../lib/use-url-filters';

const PER_PAGE = 100;

/** The address a sender POSTs to; the key is the credential, so it is shown to operators and admins only. */
export const webhookUrl = (key: string) => `${window.location.origin}/api/v1/webhooks/${encodeURIComponent(key)}`;

function CopyButton({ text }: { text: string }) {
  const [copied, setCopied] = useState(false);
  // The clipboard API exists only in secure contexts (https, localhost); elsewhere the field can be selected by hand.
  if (!navigator.clipboard) return null;
  return (
    <button
      type="button"
      className="btn btn-small"
      onClick={() =>
        navigator.clipboard.writeText(text).then(
          () => setCopied(true),
          () => setCopied(false),
        )
      }
    >
      {copied ? 'Copied' : 'Copy'}
    </button>
  );
}

function Webhook({ trigger, isAdmin }: { trigger: Trigger; isAdmin: boolean }) {
  const queryClient = useQueryClient();
  const enable = useMutation({
    mutationFn: () => api('/api/v1/triggers/{ref}/webhooks/enable', { method: 'post', path: { ref: trigger.ref } }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['triggers'] }),
  });
  if (trigger.webhook_enabled && trigger.webhook_key) {
    const url = webhookUrl(trigger.webhook_key);
    return (
      <span className="webhook">
        <input className="mono small webhook-url" readOnly value={url} aria-label={`Webhook URL of ${trigger.ref}`} onFocus={(e) => e.currentTarget.select()} />
        <CopyButton text={url} />
      </span>
    );
  }
  if (trigger.webhook_enabled) return <span className="muted small">enabled (the URL is shown to operators)</span>;
  if (trigger.is_builtin) return <span className="muted small">—</span>;
  return isAdmin ? (
    <span>
      <button type="button" className="btn btn-small" disabled={enable.isPending} onClick={() => enable.mutate()}>
        Enable webhook
      </button>
      {enable.isError && <span className="small form-error">{enable.error.message}</span>}
    </span>
  ) : (
    <span className="muted small">off</span>
  );
}

export function TriggersPage() {
  useTitle('Triggers');
  const { filters, page, setPage, update } = useUrlFilters(['pack_ref', 'q'] as const);
  const { isAdmin } = useRoles();
  const list = usePageQuery('triggers', '/api/v1/triggers', { pack_ref: filters.pack_ref, page, per_page: PER_PAGE });

  return (
    <section>
      <PageHead title="Triggers">
        <span className="muted small">Webhooks and timers fire events; rules match them.</span>
      </PageHead>
      <FilterBar>
        <SearchFilter value={filters.q} onChange={(q) => update({ q }, { replace: true })} />
        <FilterInput name="pack_ref" label="Pack" size={12} value={filters.pack_ref} onCommit={(v) => update({ pack_ref: v })} />
      </FilterBar>
      <PagedList
        query={list}
        what="triggers"
        rows={(data) => data.data.filter((t) => matchesSearch(t, filters.q))}
        empty={<EmptyState title="No trigger matches." />}
        className="triggers-table"
        columns={['Trigger', 'Webhook URL', 'Kind', '']}
        onPage={setPage}
      >
        {(t) => (
          <tr key={t.ref} data-trigger={t.ref}>
            <td data-label="Trigger" className="card-title">
              <div className="mono">{t.ref}</div>
              {t.label && t.label !== t.ref && <div className="muted small">{t.label}</div>}
            </td>
            <td data-label="Webhook">
              <Webhook trigger={t} isAdmin={isAdmin} />
            </td>
            <td data-label="Kind">
              <span className="badge badge-muted">{t.is_builtin ? 'built-in' : 'custom'}</span>
              {!t.enabled && <span className="badge badge-warn">disabled</span>}
            </td>
            <td className="actions-cell" data-label="">
              <Link to={`/events?trigger_ref=${encodeURIComponent(t.ref)}`}>Events</Link> ·{' '}
              <Link to={`/rules?trigger_ref=${encodeURIComponent(t.ref)}`}>Rules</Link>
            </td>
          </tr>
        )}
      </PagedList>
    </section>
  );
}
