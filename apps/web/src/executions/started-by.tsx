import { Link } from 'react-router';
import type { Execution } from '@attune/api-client';

/** Who started a run: a login, a rule (through its enforcement), or a workflow (its parent). */
export function StartedBy({ execution: e }: { execution: Pick<Execution, 'executor_login' | 'enforcement' | 'parent'> }) {
  if (e.executor_login) return <span className="executor-login">{e.executor_login}</span>;
  if (e.parent) {
    return (
      <span className="muted">
        workflow <Link to={`/executions/${e.parent}`} onClick={(ev) => ev.stopPropagation()}>#{e.parent}</Link>
      </span>
    );
  }
  if (e.enforcement) return <span className="muted">a rule</span>;
  return <span className="muted">—</span>;
}
