import Anser from 'anser';

/** A run of text with one look; colours are CSS `rgb()` values. */
export interface LogSpan {
  text: string;
  color?: string;
  background?: string;
  bold?: boolean;
  dim?: boolean;
  italic?: boolean;
  underline?: boolean;
}
export type LogLine = LogSpan[];

// anser's eight normal colours are meant for black; these read better on the log's dark blue.
const READABLE: Record<string, string> = {
  '187, 0, 0': '241, 76, 76',
  '0, 187, 0': '35, 209, 139',
  '187, 187, 0': '229, 229, 16',
  '0, 0, 187': '59, 142, 234',
  '187, 0, 187': '214, 112, 214',
  '0, 187, 187': '41, 184, 219',
};
const rgb = (v: string | null | undefined) => (v ? `rgb(${READABLE[v] ?? v})` : undefined);

/**
 * A log's text as lines of styled spans: ANSI SGR colours and decorations (16, 256 and true
 * colours) become styles, every other escape is dropped. A style carries across line ends as a
 * terminal's does. `\r` inside a line (progress bars) keeps what was written after it; a final
 * newline does not make an empty last line.
 */
export function ansiLines(text: string): LogLine[] {
  const lines: LogLine[] = [[]];
  for (const e of Anser.ansiToJson(text, { remove_empty: true })) {
    const style: Omit<LogSpan, 'text'> = {};
    const color = rgb(e.fg);
    const background = rgb(e.bg);
    if (color) style.color = color;
    if (background) style.background = background;
    for (const d of e.decorations ?? []) if (d === 'bold' || d === 'dim' || d === 'italic' || d === 'underline') style[d] = true;
    const parts = e.content.split('\n');
    parts.forEach((part, i) => {
      if (i > 0) lines.push([]);
      let piece = part.endsWith('\r') ? part.slice(0, -1) : part;
      const cr = piece.lastIndexOf('\r');
      if (cr >= 0) {
        lines[lines.length - 1] = [];
        piece = piece.slice(cr + 1);
      }
      if (piece) lines[lines.length - 1].push({ text: piece, ...style });
    });
  }
  if (lines.length > 1 && lines[lines.length - 1].length === 0) lines.pop();
  if (lines.length === 1 && lines[0].length === 0) return [];
  return lines;
}

export const lineText = (line: LogLine) => line.map((s) => s.text).join('');

/**
 * A line's spans cut where `needle` (case-insensitive) matches, the matching pieces marked, so a
 * match that crosses a colour change is still marked whole.
 */
export function markMatches(line: LogLine, needle: string): Array<LogSpan & { mark?: boolean }> {
  if (!needle) return line;
  const hay = lineText(line).toLowerCase();
  const n = needle.toLowerCase();
  const ranges: Array<[number, number]> = [];
  for (let i = hay.indexOf(n); i >= 0; i = hay.indexOf(n, i + n.length)) ranges.push([i, i + n.length]);
  if (ranges.length === 0) return line;
  const out: Array<LogSpan & { mark?: boolean }> = [];
  let offset = 0;
  for (const span of line) {
    const start = offset;
    const end = offset + span.text.length;
    let at = start;
    for (const [a, b] of ranges) {
      if (b <= at || a >= end) continue;
      if (a > at) out.push({ ...span, text: span.text.slice(at - start, a - start) });
      const to = Math.min(b, end);
      out.push({ ...span, text: span.text.slice(Math.max(a, at) - start, to - start), mark: true });
      at = to;
    }
    if (at < end) out.push({ ...span, text: span.text.slice(at - start) });
    offset = end;
  }
  return out;
}
