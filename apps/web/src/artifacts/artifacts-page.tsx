import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, query } from '../api/client';
import { ARTIFACT_SCOPES, ARTIFACT_TYPES, type Artifact, type Page } from '../api/types';
import { Pagination } from '../components/pagination';
import { EmptyState, ErrorState, Loading } from '../components/states';
import { Time } from '../components/time';
import { formatBytes, formatTimestamp } from '../lib/format';
import { DownloadButton } from './download-button';
import { formatPercent, progressEntries, progressState } from './progress';
import { ProgressBar, ProgressDetail } from './progress-detail';
import { TypeIcon } from './type-icon';
import { useArtifactVersions } from './use-artifacts';

const PER_PAGE = 25;
const TEXT_FILTERS = ['name', 'owner', 'execution'] as const;

function Versions({ artifact }: { artifact: Artifact }) {
  const versions = useArtifactVersions(artifact.id, true);
  if (versions.isPending) return <Loading what="Loading versions" />;
  if (versions.isError) return <ErrorState error={versions.error} onRetry={() => versions.refetch()} title="The versions could not be loaded" />;
  if (versions.data.length === 0) return <p className="muted">No versions: nothing has been uploaded to this artifact.</p>;
  return (
    <table className="table compact">
      <thead>
        <tr>
          <th>Version</th>
          <th className="num">Size</th>
          <th>Type</th>
          <th>SHA-256</th>
          <th>By</th>
          <th>Created</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {[...versions.data].reverse().map((v) => (
          <tr key={v.version}>
            <td className="num">{v.version}</td>
            <td className="num">{formatBytes(v.size_bytes)}</td>
            <td className="small">{v.content_type}</td>
            <td className="mono small" title={v.sha256}>
              {v.sha256.slice(0, 16)}…
            </td>
            <td className="small">{v.created_by ?? '—'}</td>
            <td className="small">{formatTimestamp(v.created)}</td>
            <td className="actions-cell">
              <DownloadButton path={`/api/v1/artifacts/${artifact.id}/versions/${v.version}/download`} filename={artifact.name ?? artifact.ref} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Details({ artifact }: { artifact: Artifact }) {
  return (
    <div className="artifact-details">
      <dl className="facts">
        <dt>Scope / owner</dt>
        <dd>
          {artifact.scope}
          {artifact.owner ? ` / ${artifact.owner}` : ''}
        </dd>
        {artifact.description && (
          <>
            <dt>Description</dt>
            <dd>{artifact.description}</dd>
          </>
        )}
        <dt>Retention</dt>
        <dd>{artifact.retention_policy ? `${artifact.retention_limit} ${artifact.retention_policy}` : 'keeps every version'}</dd>
        <dt>Updated</dt>
        <dd>{formatTimestamp(artifact.updated)}</dd>
      </dl>
      {artifact.type === 'progress' ? <ProgressDetail artifactId={artifact.id} isRunning={false} /> : <Versions artifact={artifact} />}
    </div>
  );
}

export function ArtifactsPage() {
  const [params, setParams] = useSearchParams();
  const filters = {
    type: params.get('type') ?? '',
    scope: params.get('scope') ?? '',
    name: params.get('name') ?? '',
    owner: params.get('owner') ?? '',
    execution: params.get('execution') ?? '',
  };
  const page = Math.max(1, Number(params.get('page')) || 1);
  const [open, setOpen] = useState<number>();

  const list = useQuery({
    queryKey: ['artifacts', filters, page],
    queryFn: () => api<Page<Artifact>>(`/api/v1/artifacts${query({ ...filters, page, per_page: PER_PAGE })}`),
    placeholderData: keepPreviousData,
  });

  const set = (changes: Record<string, string>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    if (!('page' in changes)) next.delete('page');
    setParams(next);
  };
  const filtered = Object.values(filters).some(Boolean);

  return (
    <section>
      <div className="page-head">
        <h1>Artifacts</h1>
      </div>
      <form
        className="filters"
        aria-label="Filters"
        onSubmit={(e) => {
          e.preventDefault();
          const form = new FormData(e.currentTarget);
          set(Object.fromEntries(TEXT_FILTERS.map((k) => [k, String(form.get(k) ?? '').trim()])));
        }}
        key={params.toString()}
      >
        <label>
          Type
          <select name="type" value={filters.type} onChange={(e) => set({ type: e.target.value })}>
            <option value="">Any</option>
            {ARTIFACT_TYPES.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <label>
          Scope
          <select name="scope" value={filters.scope} onChange={(e) => set({ scope: e.target.value })}>
            <option value="">Any</option>
            {ARTIFACT_SCOPES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Name contains
          <input name="name" defaultValue={filters.name} />
        </label>
        <label>
          Owner
          <input name="owner" defaultValue={filters.owner} />
        </label>
        <label>
          Execution
          <input name="execution" inputMode="numeric" defaultValue={filters.execution} size={8} />
        </label>
        <button type="submit" className="btn">
          Apply
        </button>
        {filtered && (
          <button type="button" className="btn btn-link" onClick={() => setParams(new URLSearchParams())}>
            Clear filters
          </button>
        )}
      </form>

      {list.isPending ? (
        <Loading what="Loading artifacts" />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => list.refetch()} title="The artifacts could not be loaded" />
      ) : list.data.data.length === 0 ? (
        <EmptyState title={filtered ? 'No artifact matches these filters.' : 'No artifacts yet.'}>
          {filtered ? 'Change or clear the filters.' : 'Actions create them with their execution token; see packs/python_example.'}
        </EmptyState>
      ) : (
        <>
          <table className={`table artifacts-table ${list.isPlaceholderData ? 'stale' : ''}`} aria-busy={list.isPlaceholderData || undefined}>
            <thead>
              <tr>
                <th aria-label="Type" />
                <th>Name</th>
                <th>Ref</th>
                <th>Execution</th>
                <th className="num">Size</th>
                <th className="num">Versions</th>
                <th>Created</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {list.data.data.map((a) => {
                const progress = a.type === 'progress' ? progressState(progressEntries(a.data)) : undefined;
                return (
                  <Fragment key={a.id}>
                    <tr className="clickable" onClick={() => setOpen(open === a.id ? undefined : a.id)} aria-expanded={open === a.id} data-artifact={a.id} data-type={a.type}>
                      <td className="icon-cell">
                        <TypeIcon type={a.type} />
                      </td>
                      <td>{a.name ?? <span className="muted">(unnamed)</span>}</td>
                      <td className="mono small ref">{a.ref}</td>
                      <td>
                        {a.execution ? (
                          <Link to={`/executions/${a.execution}`} onClick={(e) => e.stopPropagation()}>
                            #{a.execution}
                          </Link>
                        ) : (
                          <span className="muted">—</span>
                        )}
                      </td>
                      <td className="num">{progress ? '—' : formatBytes(a.size_bytes)}</td>
                      <td className="num">{progress ? '—' : (a.latest_version ?? 0)}</td>
                      <td>
                        <Time iso={a.created} />
                      </td>
                      <td className="actions-cell">
                        {progress ? (
                          <span className="mini-progress">
                            <ProgressBar percent={progress.percent} label={a.name ?? a.ref} /> {formatPercent(progress.percent)}
                          </span>
                        ) : a.latest_version ? (
                          <DownloadButton path={`/api/v1/artifacts/${a.id}/download`} filename={a.name ?? a.ref} />
                        ) : null}
                      </td>
                    </tr>
                    {open === a.id && (
                      <tr className="detail-row">
                        <td colSpan={8}>
                          <Details artifact={a} />
                        </td>
                      </tr>
                    )}
                  </Fragment>
                );
              })}
            </tbody>
          </table>
          <Pagination info={list.data.pagination} onPage={(p) => set({ page: String(p) })} />
        </>
      )}
    </section>
  );
}
