import { memo, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { DownloadButton } from '../artifacts/download-button';
import { ansiLines, type LogLine, lineText, markMatches } from '../lib/ansi';
import { formatBytes } from '../lib/format';
import { type LogStream, useLogTail } from './use-log-tail';

const STATE_LABEL = {
  connecting: 'connecting…',
  live: 'live',
  loading: 'loading…',
  complete: 'complete',
  error: 'error',
} as const;

/** The most lines drawn at once; a longer log shows its end (Download has all of it). */
const MAX_LINES = 10_000;
const WRAP_KEY = 'attune.log.wrap';

/**
 * One line: its number comes from CSS (`data-n`), so neither copying nor textContent picks it up,
 * and the text ends with its newline, so the view's text is the log's.
 */
const Line = memo(function Line({ n, line, needle, current }: { n: number; line: LogLine; needle: string; current: boolean }) {
  const spans = markMatches(line, needle);
  return (
    <div className={`log-line${current ? ' current' : ''}`} data-n={n}>
      {spans.map((s, i) => {
        const style =
          s.color || s.background || s.bold || s.dim || s.italic || s.underline
            ? {
                color: s.color,
                background: s.background,
                fontWeight: s.bold ? 700 : undefined,
                opacity: s.dim ? 0.7 : undefined,
                fontStyle: s.italic ? 'italic' : undefined,
                textDecoration: s.underline ? 'underline' : undefined,
              }
            : undefined;
        const Tag = 'mark' in s && s.mark ? 'mark' : 'span';
        return (
          <Tag key={i} style={style}>
            {s.text}
          </Tag>
        );
      })}
      {'\n'}
    </div>
  );
});

/** One stream of an execution's log, following it while it runs (scrolled to the end unless the user scrolls up). */
function LogPane({ executionId, stream, live, wrap, needle }: { executionId: number; stream: LogStream; live: boolean; wrap: boolean; needle: string }) {
  const tail = useLogTail(executionId, stream, live);
  const ref = useRef<HTMLDivElement>(null);
  const [follow, setFollow] = useState(true);
  const [current, setCurrent] = useState(0);

  const all = useMemo(() => ansiLines(tail.text), [tail.text]);
  const first = Math.max(0, all.length - MAX_LINES);
  const lines = first ? all.slice(first) : all;
  const matches = useMemo(() => {
    if (!needle) return [];
    const n = needle.toLowerCase();
    return lines.flatMap((l, i) => (lineText(l).toLowerCase().includes(n) ? [i] : []));
  }, [lines, needle]);

  useEffect(() => setCurrent(0), [needle]);
  useLayoutEffect(() => {
    const el = ref.current;
    if (el && follow && !needle) el.scrollTop = el.scrollHeight;
  }, [tail.text, follow, needle]);
  // Bring the current match into view (inside the log box only: the page itself does not move).
  useLayoutEffect(() => {
    const el = ref.current;
    const line = matches.length ? el?.querySelector<HTMLElement>(`.log-line[data-n="${first + matches[current % matches.length] + 1}"]`) : null;
    if (el && line) el.scrollTop = line.offsetTop - el.clientHeight / 3;
  }, [matches, current, first]);

  const step = (d: number) => setCurrent((c) => (matches.length ? (c + d + matches.length) % matches.length : 0));
  const currentLine = matches.length ? matches[current % matches.length] : -1;

  return (
    <div className="log-pane">
      <div className="log-meta">
        <span className={`log-state log-state-${tail.state}`} data-log-state={tail.state}>
          {tail.state === 'live' && <span className="pulse" aria-hidden />}
          {STATE_LABEL[tail.state]}
        </span>
        {tail.total !== undefined && <span className="muted">the last {formatBytes(tail.text.length)} of {formatBytes(tail.total)}</span>}
        {first > 0 && <span className="muted">the last {MAX_LINES.toLocaleString()} lines</span>}
        {needle && (
          <span className="log-matches" data-testid="log-matches" aria-live="polite">
            {matches.length ? `${(current % matches.length) + 1} of ${matches.length} lines` : 'no match'}
            <button type="button" className="btn btn-small" disabled={!matches.length} onClick={() => step(-1)} aria-label="Previous match">
              ↑
            </button>
            <button type="button" className="btn btn-small" disabled={!matches.length} onClick={() => step(1)} aria-label="Next match">
              ↓
            </button>
          </span>
        )}
        {!follow && !needle && (
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
        <div
          ref={ref}
          role="log"
          className={`code log ${wrap ? 'wrap' : 'nowrap'}`}
          data-testid={`log-${stream}`}
          aria-label={`${stream} log`}
          tabIndex={0}
          onScroll={(e) => {
            const el = e.currentTarget;
            setFollow(el.scrollHeight - el.scrollTop - el.clientHeight < 24);
          }}
        >
          {lines.length ? (
            lines.map((l, i) => <Line key={first + i} n={first + i + 1} line={l} needle={needle} current={i === currentLine} />)
          ) : (
            <span className="muted">{tail.state === 'complete' ? `(no ${stream} output)` : 'waiting for output…'}</span>
          )}
        </div>
      )}
    </div>
  );
}

/**
 * The execution's stdout and stderr: ANSI colours, line numbers, search, a wrap toggle and
 * Download. It opens on stderr when the run failed with something on stderr (and switches there
 * when a watched run fails, unless the user picked a stream).
 */
export function LogView({ executionId, live, preferStderr }: { executionId: number; live: boolean; preferStderr: boolean }) {
  const [picked, setPicked] = useState<LogStream>();
  const stream = picked ?? (preferStderr ? 'stderr' : 'stdout');
  // A pane follows its stream from when it opens; opening the other stream starts its own tail.
  const [opened, setOpened] = useState<Set<LogStream>>(() => new Set([stream]));
  useEffect(() => setOpened((o) => (o.has(stream) ? o : new Set([...o, stream]))), [stream]);
  const [wrap, setWrap] = useState(() => localStorage.getItem(WRAP_KEY) !== 'false');
  const [needle, setNeedle] = useState('');

  return (
    <div className="panel log-panel" data-testid="log-panel">
      <div className="panel-head log-head">
        <h2>Logs</h2>
        <div className="tabs" role="tablist">
          {(['stdout', 'stderr'] as const).map((s) => (
            <button key={s} type="button" role="tab" aria-selected={stream === s} className={stream === s ? 'tab active' : 'tab'} onClick={() => setPicked(s)}>
              {s}
            </button>
          ))}
        </div>
        <div className="spacer" />
        <input
          type="search"
          className="log-search"
          placeholder="Search the log"
          aria-label="Search the log"
          value={needle}
          onChange={(e) => setNeedle(e.target.value)}
        />
        <label className="check small">
          <input
            type="checkbox"
            checked={wrap}
            onChange={(e) => {
              setWrap(e.target.checked);
              localStorage.setItem(WRAP_KEY, String(e.target.checked));
            }}
          />
          Wrap
        </label>
        <DownloadButton key={stream} path={`/api/v1/executions/${executionId}/logs/${stream}`} filename={`execution-${executionId}.${stream}.log`} label={`Download ${stream}`} />
      </div>
      {[...opened].map((s) => (
        <div key={s} hidden={s !== stream}>
          <LogPane executionId={executionId} stream={s} live={live} wrap={wrap} needle={s === stream ? needle : ''} />
        </div>
      ))}
    </div>
  );
}
