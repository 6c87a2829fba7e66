import type { ReactNode } from 'react';
import { ApiError } from '../api/client';

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <div className="state state-loading" role="status">
      <span className="spinner" aria-hidden /> {what}…
    </div>
  );
}

/** What went wrong, in words, with a way to try again. */
export function ErrorState({ error, onRetry, title = 'Something went wrong' }: { error: unknown; onRetry?: () => void; title?: string }) {
  let message = error instanceof Error ? error.message : String(error);
  if (error instanceof TypeError) message = 'The server could not be reached. Check that Attune is running.';
  if (error instanceof ApiError && error.status === 403) message = `You do not have the right for this: ${error.message}`;
  return (
    <div className="state state-error" role="alert">
      <strong>{title}</strong>
      <p>{message}</p>
      {error instanceof ApiError && error.fieldErrors.length > 0 && (
        <ul className="error-details">
          {error.fieldErrors.map((d) => (
            <li key={`${d.field}:${d.message}`}>
              {d.field}: {d.message}
            </li>
          ))}
        </ul>
      )}
      {onRetry && (
        <button type="button" className="btn" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty">
      <strong>{title}</strong>
      {children && <div>{children}</div>}
    </div>
  );
}

/**
 * A list with nothing to show. With filters set (`filtered`), none matches them (`noMatch`) and the
 * way out is to change them (`changeHint`); otherwise there is none yet (`none`), and `hint` says how
 * one comes.
 */
export function EmptyList({
  filtered,
  none,
  noMatch,
  hint,
  changeHint = 'Change or clear the filters.',
}: {
  filtered: boolean;
  none: string;
  noMatch: string;
  hint: ReactNode;
  changeHint?: string;
}) {
  return <EmptyState title={filtered ? noMatch : none}>{filtered ? changeHint : hint}</EmptyState>;
}
