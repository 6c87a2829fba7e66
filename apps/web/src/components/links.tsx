import { Link } from 'react-router';

/** Where a component named by ref is shown: its page, or its list narrowed to it. */
export const ruleHref = (ref: string) => `/rules/${encodeURIComponent(ref)}`;
export const triggerHref = (ref: string) => `/triggers?q=${encodeURIComponent(ref)}`;
export const actionHref = (ref: string) => `/actions?q=${encodeURIComponent(ref)}`;

export function RefLink({ to, refName }: { to: string; refName: string }) {
  return (
    <Link to={to} className="mono">
      {refName}
    </Link>
  );
}

/** "#12" links to an execution. */
export function ExecutionLink({ id }: { id: number }) {
  return <Link to={`/executions/${id}`}>#{id}</Link>;
}
