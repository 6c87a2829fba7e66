import { useState } from 'react';
import { formatBytes } from '../lib/format';
import { type DownloadOutcome, downloadWithAuth } from '../lib/download';

/** Downloads an artifact (its latest version, or one version) with the session's token, and says how it went. */
export function DownloadButton({ path, filename, label = 'Download' }: { path: string; filename: string; label?: string }) {
  const [state, setState] = useState<{ busy?: boolean; done?: DownloadOutcome; error?: string }>({});
  return (
    <span className="download">
      <button
        type="button"
        className="btn btn-small"
        disabled={state.busy}
        onClick={async (e) => {
          e.stopPropagation();
          setState({ busy: true });
          try {
            setState({ done: await downloadWithAuth(path, filename) });
          } catch (err) {
            setState({ error: err instanceof Error ? err.message : String(err) });
          }
        }}
      >
        {state.busy ? 'Downloading…' : label}
      </button>
      {state.done && (
        <span className="small ok" role="status" title={state.done.filename}>
          {state.done.verified ? '✓ saved, SHA-256 verified' : `✓ saved (${formatBytes(state.done.size)})`}
        </span>
      )}
      {state.error && (
        <span className="small form-error" role="alert">
          {state.error}
        </span>
      )}
    </span>
  );
}
