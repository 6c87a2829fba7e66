import { Fragment, useState } from 'react';
import { Link } from 'react-router';
import { ARTIFACT_SCOPES, ARTIFACT_TYPES, type Artifact } from '@attune/api-client';
import { Fact, PageHead } from '../components/page-layout';
import { FilterBar, SelectFilter } from '../components/filter-input';
import { PagedList, TableHead } from '../components/paged-table';
import { QueryState } from '../components/query-state';
import { EmptyList } from '../components/states';
import { CreatedCell } from '../components/time';
import { formatBytes, formatTimestamp } from '../lib/format';
import { usePageQuery } from '../lib/use-page-query';
import { useTitle } from '../lib/use-title';
import { useUrlFilters } from '../lib/use-url-filters';
import { ArtifactNameCells, ArtifactSizeCell } from './artifact-cells';
import { DownloadButton } from './download-button';
import { formatPercent, progressEntries, progressState } from './progress';
import { ProgressBar, ProgressDetail } from './progress-detail';
import { useArtifactVersions } from './use-artifacts';

const PER_PAGE = 25;
const TEXT_FILTERS = ['name', 'owner', 'execution'] as const;

function Versions({ artifact }: { artifact: Artifact }) {
  const versions = useArtifactVersions(artifact.id, true);
  return (
    <QueryState query={versions} what="versions" empty={(data) => data.length === 0 && <p className="muted">No versions: nothing has been uploaded to this artifact.</p>}>
      {(data) => (
        <table className="table compact">
          <TableHead columns={['Version', { label: 'Size', className: 'num' }, 'Type', 'SHA-256', 'By', 'Created', '']} />
          <tbody>
            {[...data].reverse().map((v) => (
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
      )}
    </QueryState>
  );
}

function Details({ artifact }: { artifact: Artifact }) {
  return (
    <div className="artifact-details">
      <dl className="facts">
        <Fact term="Scope / owner">
          {artifact.scope}
          {artifact.owner ? ` / ${artifact.owner}` : ''}
        </Fact>
        {artifact.description && <Fact term="Description">{artifact.description}</Fact>}
        <Fact term="Retention">{artifact.retention_policy ? `${artifact.retention_limit} ${artifact.retention_policy}` : 'keeps every version'}</Fact>
        <Fact term="Updated">{formatTimestamp(artifact.updated)}</Fact>
      </dl>
      {artifact.type === 'progress' ? <ProgressDetail artifactId={artifact.id} isRunning={false} /> : <Versions artifact={artifact} />}
    </div>
  );
}

export function ArtifactsPage() {
  useTitle('Artifacts');
  // `origin` empty: the API's default, which leaves execution logs out (each execution's page links its own).
  const { filters, page, setPage, update, clear, filtered, urlKey } = useUrlFilters(['type', 'scope', 'name', 'owner', 'execution', 'origin'] as const);
  const [open, setOpen] = useState<number>();

  const list = usePageQuery('artifacts', '/api/v1/artifacts', { ...filters, page, per_page: PER_PAGE });

  return (
    <section>
      <PageHead title="Artifacts" />
      <FilterBar
        key={urlKey}
        filtered={filtered}
        onClear={clear}
        onSubmit={(e) => {
          e.preventDefault();
          const form = new FormData(e.currentTarget);
          update(Object.fromEntries(TEXT_FILTERS.map((k) => [k, String(form.get(k) ?? '').trim()])));
        }}
      >
        <SelectFilter name="type" label="Type" value={filters.type} options={ARTIFACT_TYPES} onChange={(v) => update({ type: v })} />
        <SelectFilter name="scope" label="Scope" value={filters.scope} options={ARTIFACT_SCOPES} onChange={(v) => update({ scope: v })} />
        <label>
          Origin
          <select name="origin" value={filters.origin} onChange={(e) => update({ origin: e.target.value })}>
            <option value="">Files and data (no logs)</option>
            <option value="log">Execution logs</option>
            <option value="all">Everything</option>
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
      </FilterBar>

      {/* An api from before `origin` lists logs too: leave them out here all the same. */}
      <PagedList
        query={list}
        what="artifacts"
        rows={(data) => data.data.filter((a) => filters.origin || a.origin !== 'log')}
        empty={<EmptyList filtered={filtered} none="No artifacts yet." noMatch="No artifact matches these filters." hint="Actions create them with their execution token; see packs/python_example." />}
        className="artifacts-table"
        columns={[{ label: '', ariaLabel: 'Type' }, 'Name', 'Ref', 'Execution', { label: 'Size', className: 'num' }, { label: 'Versions', className: 'num' }, 'Created', '']}
        stale={list.isPlaceholderData}
        onPage={setPage}
      >
        {(a) => {
          const progress = a.type === 'progress' ? progressState(progressEntries(a.data)) : undefined;
          return (
            <Fragment key={a.id}>
              <tr className="clickable" onClick={() => setOpen(open === a.id ? undefined : a.id)} aria-expanded={open === a.id} data-artifact={a.id} data-type={a.type}>
                <ArtifactNameCells artifact={a} />
                <td data-label="Execution">
                  {a.execution ? (
                    <Link to={`/executions/${a.execution}`} onClick={(e) => e.stopPropagation()}>
                      #{a.execution}
                    </Link>
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
                <ArtifactSizeCell artifact={a} />
                <td data-label="Versions" className="num">
                  {progress ? '—' : (a.latest_version ?? 0)}
                </td>
                <CreatedCell iso={a.created} />
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
        }}
      </PagedList>
    </section>
  );
}
