import { TableHead } from '../components/paged-table';
import { ErrorState, Loading } from '../components/states';
import { formatTimestamp } from '../lib/format';
import { formatPercent, progressEntries, progressState } from './progress';
import { useArtifact } from './use-artifacts';

export function ProgressBar({ percent, label }: { percent: number; label: string }) {
  return (
    <div className="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent}>
      <div className={`progress-fill ${percent >= 100 ? 'done' : ''}`} style={{ width: `${percent}%` }} />
    </div>
  );
}

/** A progress artifact opened inline: its bar, percentage and message, and every entry, newest first. */
export function ProgressDetail({ artifactId, isRunning }: { artifactId: number; isRunning: boolean }) {
  const artifact = useArtifact(artifactId, isRunning);
  if (artifact.isPending) return <Loading what="Loading progress" />;
  if (artifact.isError) return <ErrorState error={artifact.error} onRetry={() => artifact.refetch()} title="The progress could not be loaded" />;
  const entries = progressEntries(artifact.data.data);
  const { percent, message } = progressState(entries);
  return (
    <div className="progress-detail" data-testid={`progress-${artifactId}`}>
      <div className="progress-row">
        <ProgressBar percent={percent} label={artifact.data.name ?? artifact.data.ref} />
        <strong className="progress-percent" data-testid="progress-percent">
          {formatPercent(percent)}
        </strong>
      </div>
      <p className="progress-message">{message ?? (entries.length ? '' : 'No progress reported yet.')}</p>
      {entries.length > 0 && (
        <div className="scroll-box">
          <table className="table compact">
            <TableHead columns={['#', 'Percent', 'Message', 'Time']} />
            <tbody>
              {entries
                .map((entry, i) => ({ entry, i }))
                .reverse()
                .map(({ entry, i }) => (
                  <tr key={i}>
                    <td className="num">{entry.iteration ?? i + 1}</td>
                    <td className="num">{typeof entry.percent === 'number' ? formatPercent(entry.percent) : '—'}</td>
                    <td>{typeof entry.message === 'string' ? entry.message : JSON.stringify(entry)}</td>
                    <td className="mono small">{typeof entry.timestamp === 'string' ? formatTimestamp(entry.timestamp) : '—'}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
