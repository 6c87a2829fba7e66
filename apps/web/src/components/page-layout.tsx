import type { ReactNode } from 'react';
import { Link } from 'react-router';

/**
 * A page's heading: its title, and whatever stands beside it (a note, a status, the page's buttons)
 * as children. A detail page's starts with the way back to its list (`back`: "← Events").
 */
export function PageHead({ title, back, children }: { title: ReactNode; back?: { to: string; label: string }; children?: ReactNode }) {
  return (
    <div className="page-head">
      {back && (
        <Link to={back.to} className="back">
          ← {back.label}
        </Link>
      )}
      <h1>{title}</h1>
      {children}
    </div>
  );
}

/** A titled box on a detail page; `head` is what stands beside the title (badges, a note). */
export function Panel({ title, head, testId, children }: { title: ReactNode; head?: ReactNode; testId?: string; children: ReactNode }) {
  return (
    <div className="panel" data-testid={testId}>
      <div className="panel-head">
        <h2>{title}</h2>
        {head}
      </div>
      {children}
    </div>
  );
}

/** One row of a `<dl className="facts">`: a term and its value. */
export function Fact({ term, className, testId, children }: { term: string; className?: string; testId?: string; children: ReactNode }) {
  return (
    <>
      <dt>{term}</dt>
      <dd className={className} data-testid={testId}>
        {children}
      </dd>
    </>
  );
}
