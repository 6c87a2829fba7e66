import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { formatBytes } from '../lib/format';
import { type LogStream, useLogTail } from './use-log-tail';

const STATE_LABEL = {
  connecting: 'connecting…',
  live: 'live',
  loading: 'loading…',
  complete: 'complete',
  error: 'error',
} as const;

/** One stream of an execution's log, following it while it runs (scrolled to the end unless the user scrolls up). */
function LogPane({ executionId, stream, live }: { executionId: number; stream: LogStream; live: boolean }) {
  const tail = useLogTail(executionId, stream, live);
  const ref = useRef<HTMLPreElement>(null);
  const [follow, setFollow] = useState(true);

  useLayoutEffect(() => {
    const el = ref.current;
    if (el && follow) el.scrollTop = el.scrollHeight;
  }, [tail.text, follow]);

  return (
    <div className="log-pane">
      <div className="log-meta">
        <span className={`log-state log-state-${tail.state}`} data-log-state={tail.state}>
          {tail.state === 'live' && <span className="pulse" aria-hidden />}
          {STATE_LABEL[tail.state]}
        </span>
        {tail.total !== undefined && <span className="muted">showing the last {formatBytes(tail.text.length)} of {formatBytes(tail.total)}</span>}
        {!follow && (
          <button type="button" className="btn btn-small" onClick={() => setFollow(true)}>
            Follow ↓
          </button>
        )}
      </div>
      {tail.state === 'error' ? (
        <p className="form-error" role="alert">
          The {stream} log could not be read: {tail.error}
        </p>
      ) : (
        <pre
          ref={ref}
          className="code log"
          data-testid={`log-${stream}`}
          aria-label={`${stream} log`}
          onScroll={(e) => {
            const el = e.currentTarget;
            setFollow(el.scrollHeight - el.scrollTop - el.clientHeight < 24);
          }}
        >
          {tail.text || <span className="muted">{tail.state === 'complete' ? `(no ${stream} output)` : 'waiting for output…'}</span>}
        </pre>
      )}
    </div>
  );
}

export function LogView({ executionId, live }: { executionId: number; live: boolean }) {
  const [stream, setStream] = useState<LogStream>('stdout');
  // A pane follows its stream from when it opens; opening the other stream starts its own tail.
  const [opened, setOpened] = useState<Set<LogStream>>(new Set(['stdout']));
  useEffect(() => setOpened((o) => (o.has(stream) ? o : new Set([...o, stream]))), [stream]);

  return (
    <div className="panel">
      <div className="panel-head">
        <h2>Logs</h2>
        <div className="tabs" role="tablist">
          {(['stdout', 'stderr'] as const).map((s) => (
            <button key={s} type="button" role="tab" aria-selected={stream === s} className={stream === s ? 'tab active' : 'tab'} onClick={() => setStream(s)}>
              {s}
            </button>
          ))}
        </div>
      </div>
      {[...opened].map((s) => (
        <div key={s} hidden={s !== stream}>
          <LogPane executionId={executionId} stream={s} live={live} />
        </div>
      ))}
    </div>
  );
}
