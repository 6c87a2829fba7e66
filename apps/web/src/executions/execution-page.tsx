import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, ApiError } from '../api/client';
import { type Execution, type ExecutionResult, isTerminal } from '../api/types';
import { ExecutionArtifactsPanel } from '../artifacts/execution-artifacts-panel';
import { useRoles } from '../auth/auth';
import { JsonBlock } from '../components/json-block';
import { EmptyState, ErrorState, Loading } from '../components/states';
import { StatusBadge } from '../components/status-badge';
import { Time } from '../components/time';
import { executionDuration, formatDuration, formatTimestamp } from '../lib/format';
import { useNow } from '../lib/use-now';
import { LogView } from './log-view';

/** How often a running execution is refreshed. */
const LIVE_MS = 1_000;

function ResultPanel({ result }: { result: ExecutionResult }) {
  return (
    <div className="panel" data-testid="result">
      <div className="panel-head">
        <h2>Result</h2>
        <span className={`badge ${result.succeeded ? 'badge-ok' : 'badge-bad'}`}>{result.succeeded ? 'succeeded' : 'did not succeed'}</span>
      </div>
      <dl className="facts">
        <dt>Exit code</dt>
        <dd className="mono" data-testid="exit-code">
          {result.exit_code ?? '—'}
          {result.signal && <span className="muted"> (signal {result.signal})</span>}
        </dd>
        <dt>Duration</dt>
        <dd>{formatDuration(result.duration_ms)}</dd>
        {result.timed_out && (
          <>
            <dt>Timed out</dt>
            <dd>yes</dd>
          </>
        )}
        {result.cancelled && (
          <>
            <dt>Cancelled</dt>
            <dd>yes</dd>
          </>
        )}
      </dl>
      {result.error && (
        <p className="form-error" role="status">
          {result.error}
        </p>
      )}
      {result.data !== undefined && (
        <>
          <h3>Data</h3>
          <JsonBlock value={result.data} label="result data" />
        </>
      )}
      <h3>
        stdout <span className="muted small">preview{result.stdout_truncated ? ', truncated: the full log is below' : ''}</span>
      </h3>
      <pre className="code preview" data-testid="stdout-preview">
        {result.stdout || <span className="muted">(empty)</span>}
      </pre>
      {result.stderr ? (
        <>
          <h3>
            stderr <span className="muted small">preview{result.stderr_truncated ? ', truncated: the full log is below' : ''}</span>
          </h3>
          <pre className="code preview stderr" data-testid="stderr-preview">
            {result.stderr}
          </pre>
        </>
      ) : null}
    </div>
  );
}

export function ExecutionPage() {
  const rawId = useParams().id;
  const id = Number(rawId);
  const valid = Number.isInteger(id) && id > 0;
  const queryClient = useQueryClient();
  const { canOperate } = useRoles();
  const [cancelError, setCancelError] = useState<string>();

  const execution = useQuery({
    queryKey: ['execution', id],
    queryFn: () => api<{ data: Execution }>(`/api/v1/executions/${id}`).then((r) => r.data),
    enabled: valid,
    refetchInterval: (q) => (q.state.data && isTerminal(q.state.data.status) ? false : LIVE_MS),
  });

  // Ticks only while it runs: the duration shown counts up until the result records it.
  const now = useNow(execution.data && isTerminal(execution.data.status) ? 60_000 : 1_000);

  const cancel = useMutation({
    mutationFn: () => api<{ data: Execution }>(`/api/v1/executions/${id}/cancel`, { method: 'POST' }),
    onMutate: () => setCancelError(undefined),
    onSuccess: (r) => queryClient.setQueryData(['execution', id], r.data),
    onError: (err) => {
      if (err instanceof ApiError && err.status === 409) setCancelError('It has already ended.');
      else setCancelError(err instanceof Error ? err.message : String(err));
      void queryClient.invalidateQueries({ queryKey: ['execution', id] });
    },
  });

  if (!valid) return <EmptyState title={`There is no execution "${rawId}".`} />;
  if (execution.isPending) return <Loading what="Loading the execution" />;
  if (execution.isError) {
    if (execution.error instanceof ApiError && execution.error.status === 404) {
      return (
        <EmptyState title={`Execution #${id} does not exist.`}>
          <Link to="/executions">Back to the executions</Link>
        </EmptyState>
      );
    }
    return <ErrorState error={execution.error} onRetry={() => execution.refetch()} title="The execution could not be loaded" />;
  }

  const e = execution.data;
  const running = !isTerminal(e.status);
  const cancellable = running && e.status !== 'canceling';

  return (
    <section className="execution">
      <div className="page-head">
        <Link to="/executions" className="back">
          ← Executions
        </Link>
        <h1>
          Execution #{e.id} <span className="mono subtle">{e.action_ref}</span>
        </h1>
        <StatusBadge status={e.status} />
        <div className="spacer" />
        {canOperate && running && (
          <button type="button" className="btn btn-danger" disabled={!cancellable || cancel.isPending} onClick={() => cancel.mutate()}>
            {e.status === 'canceling' || cancel.isPending ? 'Cancelling…' : 'Cancel'}
          </button>
        )}
        {canOperate && !running && (
          <Link to={`/actions/${encodeURIComponent(e.action_ref)}/run`} state={{ parameters: e.config }} className="btn">
            Run again
          </Link>
        )}
      </div>
      {cancelError && (
        <p className="form-error" role="alert">
          Could not cancel: {cancelError}
        </p>
      )}

      <div className="grid-2">
        <div className="panel">
          <div className="panel-head">
            <h2>Details</h2>
          </div>
          <dl className="facts">
            <dt>Status</dt>
            <dd>
              <StatusBadge status={e.status} />
              {e.waiting_reason && <span className="muted small"> {e.waiting_reason}</span>}
            </dd>
            <dt>Action</dt>
            <dd className="mono">{e.action_ref}</dd>
            <dt>Created</dt>
            <dd>
              <Time iso={e.created} /> <span className="muted small">{formatTimestamp(e.created)}</span>
            </dd>
            <dt>Started</dt>
            <dd>{e.started_at ? formatTimestamp(e.started_at) : '—'}</dd>
            <dt>Finished</dt>
            <dd>{e.finished_at ? formatTimestamp(e.finished_at) : '—'}</dd>
            <dt>Duration</dt>
            <dd>{formatDuration(executionDuration(e, now))}</dd>
            <dt>Worker</dt>
            <dd className="mono small">{e.worker ?? '—'}</dd>
            <dt>Timeout</dt>
            <dd>{e.timeout_seconds} s</dd>
            {e.attempt > 1 && (
              <>
                <dt>Attempt</dt>
                <dd>{e.attempt}</dd>
              </>
            )}
            {e.parent && (
              <>
                <dt>Parent</dt>
                <dd>
                  <Link to={`/executions/${e.parent}`}>#{e.parent}</Link>
                </dd>
              </>
            )}
            {e.enforcement && (
              <>
                <dt>Enforcement</dt>
                <dd>#{e.enforcement}</dd>
              </>
            )}
          </dl>
        </div>
        <div className="panel">
          <div className="panel-head">
            <h2>Parameters</h2>
          </div>
          {Object.keys(e.config ?? {}).length === 0 ? <p className="muted">No parameters.</p> : <JsonBlock value={e.config} label="parameters" />}
        </div>
      </div>

      {e.result && <ResultPanel result={e.result} />}

      <ExecutionArtifactsPanel executionId={e.id} isRunning={running} />

      <LogView executionId={e.id} live={running} />
    </section>
  );
}
