import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, ApiError } from '../api/client';
import { type ExecutionResult, type ExecutionStatus, isTerminal } from '@attune/api-client';
import { ExecutionArtifactsPanel } from '../artifacts/execution-artifacts-panel';
import { useRoles } from '../auth/auth';
import { JsonBlock } from '../components/json-block';
import { EmptyState, Loading } from '../components/states';
import { StatusBadge } from '../components/status-badge';
import { Time } from '../components/time';
import { executionDuration, formatDuration, formatTimestamp } from '../lib/format';
import { useNow } from '../lib/use-now';
import { useTitle } from '../lib/use-title';
import { actionHref, RefLink, ruleHref } from '../components/links';
import { LogView } from './log-view';
import { StartedBy } from './started-by';
import { DetailQueryState } from '../components/query-state';
import { Fact, PageHead, Panel } from '../components/page-layout';

// The graph library is loaded only for workflow runs.
const WorkflowPanel = lazy(() => import('../workflows/workflow-panel').then((m) => ({ default: m.WorkflowPanel })));

/** A run that ended badly: its log view opens on stderr. */
const FAILED: readonly ExecutionStatus[] = ['failed', 'timeout', 'abandoned'];

/** How often a running execution is refreshed. */
const LIVE_MS = 1_000;

/** What the run produced, once it has ended: its error and structured data (the output itself is in the log view). */
function ResultPanel({ result }: { result: ExecutionResult }) {
  if (!result.error && result.data === undefined && result.output === undefined && !result.timed_out && !result.cancelled) return null;
  return (
    <Panel
      title="Result"
      testId="result"
      head={
        <>
          <span className={`badge ${result.succeeded ? 'badge-ok' : 'badge-bad'}`}>{result.succeeded ? 'succeeded' : 'did not succeed'}</span>
          {result.timed_out && <span className="badge badge-bad">timed out</span>}
          {result.cancelled && <span className="badge badge-muted">cancelled</span>}
        </>
      }
    >
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
      {result.output !== undefined && (
        <>
          <h3>Output</h3>
          <JsonBlock value={result.output} label="workflow output" />
        </>
      )}
    </Panel>
  );
}

/** The rule and event behind a run a rule started (through its enforcement). */
function RuleOrigin({ enforcementId }: { enforcementId: number }) {
  const enforcement = useQuery({
    queryKey: ['enforcement', enforcementId],
    queryFn: () => api('/api/v1/enforcements/{id}', { path: { id: enforcementId } }).then((r) => r.data),
    staleTime: 60_000,
  });
  const en = enforcement.data;
  return (
    <>
      <Fact term="Rule" testId="origin-rule">
        {en ? <RefLink to={ruleHref(en.rule_ref)} refName={en.rule_ref} /> : <span className="muted">{enforcement.isError ? `enforcement #${enforcementId}` : '…'}</span>}
      </Fact>
      <Fact term="Event" testId="origin-event">
        {en?.event ? <Link to={`/events/${en.event}`}>#{en.event}</Link> : <span className="muted">{en ? '—' : '…'}</span>}
        <span className="muted small"> (enforcement #{enforcementId})</span>
      </Fact>
    </>
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
    queryFn: () => api('/api/v1/executions/{id}', { path: { id } }).then((r) => r.data),
    enabled: valid,
    refetchInterval: (q) => (q.state.data && isTerminal(q.state.data.status) ? false : LIVE_MS),
  });

  // Ticks only while it runs: the duration shown counts up until the result records it.
  const now = useNow(execution.data && isTerminal(execution.data.status) ? 60_000 : 1_000);

  const cancel = useMutation({
    mutationFn: () => api('/api/v1/executions/{id}/cancel', { method: 'post', path: { id } }),
    onMutate: () => setCancelError(undefined),
    onSuccess: (r) => queryClient.setQueryData(['execution', id], r.data),
    onError: (err) => {
      if (err instanceof ApiError && err.status === 409) setCancelError('It has already ended.');
      else setCancelError(err instanceof Error ? err.message : String(err));
      void queryClient.invalidateQueries({ queryKey: ['execution', id] });
    },
  });

  // Whether it runs a workflow: its action says so (runtime `workflow`).
  const action = useQuery({
    queryKey: ['action', execution.data?.action_ref],
    queryFn: () => api('/api/v1/actions/{ref}', { path: { ref: execution.data!.action_ref } }).then((r) => r.data),
    enabled: !!execution.data,
    staleTime: 60_000,
    retry: false,
  });

  const ex = execution.data;
  useTitle(ex ? `#${ex.id} ${ex.action_ref} · ${ex.status}` : `Execution #${rawId}`);

  if (!valid) return <EmptyState title={`There is no execution "${rawId}".`} />;
  if (!execution.isSuccess) return <DetailQueryState query={execution} what="execution" missing={`Execution #${id} does not exist.`} back={{ to: '/executions', label: 'Back to the executions' }} />;

  const e = execution.data;
  const running = !isTerminal(e.status);
  const cancellable = running && e.status !== 'canceling';

  return (
    <section className="execution">
      <PageHead back={{ to: '/executions', label: 'Executions' }} title={<>Execution #{e.id} <span className="mono subtle">{e.action_ref}</span></>}>
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
      </PageHead>
      {cancelError && (
        <p className="form-error" role="alert">
          Could not cancel: {cancelError}
        </p>
      )}

      <div className="grid-2">
        <Panel title="Details">
          {/* Every row is here from the start (a dash until known), so nothing below moves when the run ends. */}
          <dl className="facts">
            <Fact term="Status">
              <StatusBadge status={e.status} />
              {e.waiting_reason && <span className="muted small"> {e.waiting_reason}</span>}
            </Fact>
            <Fact term="Action">
              <RefLink to={actionHref(e.action_ref)} refName={e.action_ref} />
            </Fact>
            <Fact term="Started by" testId="started-by">
              <StartedBy execution={e} />
            </Fact>
            {e.enforcement && <RuleOrigin enforcementId={e.enforcement} />}
            {e.parent && (
              <Fact term="Workflow">
                <Link to={`/executions/${e.parent}`}>#{e.parent}</Link>
                {e.workflow_task && <span className="mono small"> task {e.workflow_task.task_name}{e.workflow_task.task_index != null ? `[${e.workflow_task.task_index}]` : ''}</span>}
                {e.workflow_task && e.workflow_task.attempt > 1 && <span className="muted small"> attempt {e.workflow_task.attempt}</span>}
              </Fact>
            )}
            <Fact term="Created">
              <Time iso={e.created} /> <span className="muted small">{formatTimestamp(e.created)}</span>
            </Fact>
            <Fact term="Started">{e.started_at ? formatTimestamp(e.started_at) : '—'}</Fact>
            <Fact term="Finished">{e.finished_at ? formatTimestamp(e.finished_at) : '—'}</Fact>
            <Fact term="Duration">{formatDuration(executionDuration(e, now))}</Fact>
            <Fact term="Exit code" className="mono" testId="exit-code">
              {e.result?.exit_code ?? '—'}
              {e.result?.signal && <span className="muted"> (signal {e.result.signal})</span>}
            </Fact>
            <Fact term="Worker" className="mono small">
              {e.worker ?? '—'}
            </Fact>
            <Fact term="Timeout">{e.timeout_seconds} s</Fact>
            {e.attempt > 1 && <Fact term="Attempt">{e.attempt}</Fact>}
          </dl>
        </Panel>
        <Panel title="Parameters">{Object.keys(e.config ?? {}).length === 0 ? <p className="muted">No parameters.</p> : <JsonBlock value={e.config} label="parameters" />}</Panel>
      </div>

      {action.isPending ? (
        <Loading what="Loading" />
      ) : (
        <>
          {action.data?.runtime === 'workflow' && (
            <Suspense fallback={<Loading what="Loading the task graph" />}>
              <WorkflowPanel executionId={e.id} live={running} />
            </Suspense>
          )}
          <LogView executionId={e.id} live={running} preferStderr={FAILED.includes(e.status) && !!(e.result?.stderr || e.result?.stderr_log)} />
          {e.result && <ResultPanel result={e.result} />}
          <ExecutionArtifactsPanel executionId={e.id} isRunning={running} />
        </>
      )}
    </section>
  );
}
