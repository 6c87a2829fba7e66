import { formatRelative, formatTimestamp } from '../lib/format';

/** A relative time with the exact one on hover. */
export function Time({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <span className="muted">—</span>;
  return (
    <time dateTime={iso} title={formatTimestamp(iso)}>
      {formatRelative(iso)}
    </time>
  );
}

/** A list row's creation time, in its "Created" column. */
export function CreatedCell({ iso }: { iso: string }) {
  return (
    <td data-label="Created">
      <Time iso={iso} />
    </td>
  );
}
