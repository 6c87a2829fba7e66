import type { ArtifactSummary } from '@attune/api-client';
import { formatBytes } from '../lib/format';
import { ArtifactName, TypeIcon } from './type-icon';

/** The cells that name an artifact in a table row: its type icon, its name and its ref. */
export function ArtifactNameCells({ artifact: a }: { artifact: ArtifactSummary }) {
  return (
    <>
      <td className="icon-cell wide-only">
        <TypeIcon type={a.type} />
      </td>
      <td data-label="Name" className="card-title">
        <ArtifactName artifact={a} />
      </td>
      <td data-label="Ref" className="mono small ref">
        {a.ref}
      </td>
    </>
  );
}

/** The size of what an artifact holds; a progress artifact holds entries, not a blob, so it has none. */
export function ArtifactSizeCell({ artifact: a }: { artifact: ArtifactSummary }) {
  return (
    <td data-label="Size" className="num">
      {a.type === 'progress' ? '—' : formatBytes(a.size_bytes)}
    </td>
  );
}
