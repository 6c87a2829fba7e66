import { Fragment, useState } from 'react';
import type { ArtifactSummary } from '@attune/api-client';
import { TableHead } from '../components/paged-table';
import { ErrorState } from '../components/states';
import { CreatedCell } from '../components/time';
import { ArtifactNameCells, ArtifactSizeCell } from './artifact-cells';
import { DownloadButton } from './download-button';
import { ProgressDetail } from './progress-detail';
import { isFileType, useExecutionArtifacts } from './use-artifacts';

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/**
 * The artifacts an execution produced: a collapsible table with downloads, and progress
 * artifacts that open inline. It polls while the execution runs and is not shown at all when the
 * execution has no artifacts.
 */
export function ExecutionArtifactsPanel({ executionId, isRunning }: { executionId: number; isRunning: boolean }) {
  const artifacts = useExecutionArtifacts(executionId, isRunning);
  const [collapsed, setCollapsed] = useState(false);
  const [open, setOpen] = useState<Set<number>>(new Set());

  if (artifacts.isPending) return null;
  if (artifacts.isError) {
    return (
      <section className="panel artifacts-panel">
        <ErrorState error={artifacts.error} onRetry={() => artifacts.refetch()} title="The artifacts could not be loaded" />
      </section>
    );
  }
  const list = artifacts.data;
  if (list.length === 0) return null;

  const files = list.filter((a) => isFileType(a.type)).length;
  const progress = list.filter((a) => a.type === 'progress').length;
  const toggle = (id: number) =>
    setOpen((o) => {
      const next = new Set(o);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  return (
    <section className="panel artifacts-panel" data-testid="artifacts-panel">
      <button type="button" className="panel-head collapsible" aria-expanded={!collapsed} onClick={() => setCollapsed((c) => !c)}>
        <span className={`chevron ${collapsed ? '' : 'open'}`} aria-hidden>
          ▸
        </span>
        <h2>Artifacts</h2>
        {files > 0 && <span className="badge badge-info">{plural(files, 'file', 'files')}</span>}
        {progress > 0 && <span className="badge badge-info">{progress} progress</span>}
        {list.length > files + progress && <span className="badge badge-muted">{list.length - files - progress} other</span>}
        {isRunning && <span className="pulse" title="Updating while the execution runs" aria-hidden />}
      </button>
      {!collapsed && (
        <table className="table cards artifacts-table">
          <TableHead columns={[{ label: '', ariaLabel: 'Type' }, 'Name', 'Ref', { label: 'Size', className: 'num' }, 'Created', '']} />
          <tbody>
            {list.map((a) => (
              <Fragment key={a.id}>
                <ArtifactRow artifact={a} expanded={open.has(a.id)} onToggle={() => toggle(a.id)} />
                {a.type === 'progress' && open.has(a.id) && (
                  <tr className="detail-row">
                    <td colSpan={6}>
                      <ProgressDetail artifactId={a.id} isRunning={isRunning} />
                    </td>
                  </tr>
                )}
              </Fragment>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function ArtifactRow({ artifact: a, expanded, onToggle }: { artifact: ArtifactSummary; expanded: boolean; onToggle: () => void }) {
  const isProgress = a.type === 'progress';
  return (
    <tr className={isProgress ? 'clickable' : undefined} onClick={isProgress ? onToggle : undefined} data-artifact={a.id} data-type={a.type}>
      <ArtifactNameCells artifact={a} />
      <ArtifactSizeCell artifact={a} />
      <CreatedCell iso={a.created} />
      <td className="actions-cell" data-label="">
        {isProgress ? (
          <button
            type="button"
            className="btn btn-small"
            aria-expanded={expanded}
            onClick={(e) => {
              e.stopPropagation();
              onToggle();
            }}
          >
            {expanded ? 'Hide progress' : 'Show progress'}
          </button>
        ) : a.latest_version !== null && a.latest_version !== undefined ? (
          <DownloadButton path={`/api/v1/artifacts/${a.id}/download`} filename={a.name ?? a.ref} />
        ) : (
          <span className="muted small">no content yet</span>
        )}
      </td>
    </tr>
  );
}
