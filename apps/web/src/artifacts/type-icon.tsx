import type { ArtifactSummary, ArtifactType } from '@attune/api-client';

const LABEL: Record<ArtifactType, string> = {
  file_binary: 'BIN',
  file_datatable: 'CSV',
  file_image: 'IMG',
  file_text: 'TXT',
  progress: '',
  url: 'URL',
  other: '…',
};

const TITLE: Record<ArtifactType, string> = {
  file_binary: 'Binary file',
  file_datatable: 'Data table',
  file_image: 'Image',
  file_text: 'Text file',
  progress: 'Progress',
  url: 'Link',
  other: 'Other',
};

/** A small picture of an artifact's type (drawn, so it looks the same without emoji fonts). */
export function TypeIcon({ type }: { type: ArtifactType }) {
  const title = TITLE[type] ?? type;
  if (type === 'progress') {
    return (
      <svg className="type-icon type-progress" viewBox="0 0 24 24" width="24" height="24" role="img" aria-label={title}>
        <title>{title}</title>
        <rect x="2" y="8" width="20" height="8" rx="4" fill="none" stroke="currentColor" strokeWidth="1.6" />
        <rect x="4" y="10" width="10" height="4" rx="2" fill="currentColor" />
      </svg>
    );
  }
  return (
    <svg className={`type-icon type-${type}`} viewBox="0 0 24 24" width="24" height="24" role="img" aria-label={title}>
      <title>{title}</title>
      <path d="M5 2h10l4 4v16H5z" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinejoin="round" />
      <path d="M15 2v4h4" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinejoin="round" />
      <text x="12" y="17" textAnchor="middle" fontSize="6.5" fontWeight="700" fill="currentColor" fontFamily="sans-serif">
        {LABEL[type] ?? '?'}
      </text>
    </svg>
  );
}

/** An artifact's name and, for an execution's own stdout/stderr, a `log` badge. */
export function ArtifactName({ artifact: a }: { artifact: Pick<ArtifactSummary, 'name' | 'origin'> }) {
  return (
    <>
      {a.name ?? <span className="muted">(unnamed)</span>}
      {a.origin === 'log' && <span className="badge badge-muted">log</span>}
    </>
  );
}
