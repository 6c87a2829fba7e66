/** Human formatting: sizes, dates, durations and aligned tables. Pure functions. */

const UNITS = ['KB', 'MB', 'GB', 'TB', 'PB'];

/** 1536 → "1.5 KB" (binary multiples, as `ls -h` and `du -h` use). */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '-';
  if (bytes < 1024) return `${bytes} B`;
  let value = bytes;
  let unit = -1;
  do {
    value /= 1024;
    unit++;
  } while (value >= 1024 && unit < UNITS.length - 1);
  // Rounding may carry to 1024.0 of a unit; show the next unit then.
  if (Number(value.toFixed(1)) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${UNITS[unit]}`;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** An ISO timestamp as local "YYYY-MM-DD HH:MM:SS"; "-" when absent. */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '-';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** 950 → "950ms", 61_500 → "1m 1.5s", 3_725_000 → "1h 2m 5s". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const totalSeconds = ms / 1000;
  if (totalSeconds < 60) return `${Number(totalSeconds.toFixed(1))}s`;
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  if (h > 0) return `${h}h ${m}m ${Math.round(s)}s`;
  return `${m}m ${Number(s.toFixed(1))}s`;
}

/** Display width of a string: East Asian wide characters take two columns, combining marks none. */
export function displayWidth(text: string): number {
  let width = 0;
  // Colour escapes take no columns.
  for (const ch of text.includes('\x1b') ? text.replace(/\x1b\[[0-9;]*m/g, '') : text) {
    const cp = ch.codePointAt(0) as number;
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || (cp >= 0x300 && cp < 0x370) || cp === 0x200b) continue;
    const wide =
      (cp >= 0x1100 && cp <= 0x115f) ||
      (cp >= 0x2e80 && cp <= 0xa4cf) ||
      (cp >= 0xac00 && cp <= 0xd7a3) ||
      (cp >= 0xf900 && cp <= 0xfaff) ||
      (cp >= 0xfe30 && cp <= 0xfe4f) ||
      (cp >= 0xff00 && cp <= 0xff60) ||
      (cp >= 0xffe0 && cp <= 0xffe6) ||
      (cp >= 0x1f300 && cp <= 0x1faff) ||
      (cp >= 0x20000 && cp <= 0x3fffd);
    width += wide ? 2 : 1;
  }
  return width;
}

/** One line of a cell: control characters and newlines would break the alignment. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined || value === '') return '-';
  const text = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return text.replace(/\r?\n/g, ' ⏎ ').replace(/[\x00-\x1f\x7f]/g, ' ');
}

export function truncate(text: string, width: number): string {
  if (width < 1 || displayWidth(text) <= width) return text;
  let out = '';
  for (const ch of text) {
    if (displayWidth(out + ch) > width - 1) break;
    out += ch;
  }
  return out + '…';
}

export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
  /** Right-align (numbers, sizes). */
  right?: boolean;
  /** Cut longer cells to this width. */
  max?: number;
  /** Colour of a cell on a colour terminal, from its text (a status, say). */
  color?: (text: string) => Colour | undefined;
}

export interface TableOptions {
  /** Fit every line within this many columns (a terminal's width); undefined: no limit (pipes, --wide). */
  width?: number;
  /** Colour the cells whose column says how. */
  color?: boolean;
  /** Every cell whole (--wide): a column's `max` does not apply either. */
  wide?: boolean;
}

export type Colour = 'red' | 'green' | 'yellow' | 'blue' | 'magenta' | 'grey';
const SGR: Record<Colour, string> = { red: '31', green: '32', yellow: '33', blue: '34', magenta: '35', grey: '90' };

/** A flag for humans. */
export const yesNo = (b: boolean | undefined) => (b ? 'yes' : 'no');

/** Text in a colour (SGR escapes; they take no columns). */
export function paint(text: string, colour: Colour | undefined): string {
  return colour ? `\x1b[${SGR[colour]}m${text}\x1b[0m` : text;
}

/** The colour of an execution or enforcement status: green done, red failed, yellow under way. */
export function statusColour(status: string): Colour | undefined {
  if (status === 'completed' || status === 'succeeded' || status === 'processed' || status === 'online' || status === 'yes') return 'green';
  if (['failed', 'timeout', 'abandoned', 'offline'].includes(status)) return 'red';
  if (['running', 'canceling', 'scheduling', 'scheduled', 'requested', 'busy'].includes(status)) return 'yellow';
  if (status === 'cancelled' || status === 'disabled' || status === 'no') return 'grey';
  return undefined;
}

const GAP = 2;
/** A column is not narrowed below this (or its natural width, when smaller). */
const MIN_COLUMN = 6;

/**
 * The width of each column so that a line fits `width`: the widest columns give way first, one
 * character at a time, down to MIN_COLUMN (or the header); if that is still too wide the rightmost
 * columns are left out. Answers the widths, undefined for a column left out.
 */
export function fitColumns(natural: number[], minimums: number[], width: number): Array<number | undefined> {
  const widths: Array<number | undefined> = [...natural];
  const total = () => widths.reduce<number>((sum, w, i) => (w === undefined ? sum : sum + w + (i > 0 ? GAP : 0)), 0);
  while (total() > width) {
    let widest = -1;
    widths.forEach((w, i) => {
      if (w !== undefined && w > minimums[i] && (widest < 0 || w > (widths[widest] as number))) widest = i;
    });
    if (widest >= 0) {
      widths[widest] = (widths[widest] as number) - 1;
      continue;
    }
    const last = widths.map((w, i) => (w === undefined ? -1 : i)).filter((i) => i > 0).pop();
    if (last === undefined) break;
    widths[last] = undefined;
  }
  return widths;
}

/**
 * An aligned table: a header, a rule of dashes, then one line per row; columns two spaces apart.
 * With `width` (a terminal), long cells are cut with "…" so that no line is wider than it.
 */
export function renderTable<T>(rows: T[], columns: Column<T>[], opts: TableOptions = {}): string {
  const cells = rows.map((r) => columns.map((c) => truncate(cellText(c.value(r)), opts.wide ? Infinity : (c.max ?? Infinity))));
  const natural = columns.map((c, i) => Math.max(displayWidth(c.header), ...cells.map((row) => displayWidth(row[i]))));
  const minimums = natural.map((w, i) => Math.min(w, Math.max(MIN_COLUMN, Math.min(displayWidth(columns[i].header), 12))));
  const widths = opts.width ? fitColumns(natural, minimums, opts.width) : natural;
  const shown = columns.map((_, i) => i).filter((i) => widths[i] !== undefined);
  const line = (values: string[], colourOf?: (i: number, v: string) => Colour | undefined) =>
    shown
      .map((i, k) => {
        const w = widths[i] as number;
        const v = truncate(values[i], w);
        const gap = ' '.repeat(w - displayWidth(v));
        const text = opts.color && colourOf ? paint(v, colourOf(i, values[i])) : v;
        if (columns[i].right) return gap + text;
        return k === shown.length - 1 ? text : text + gap;
      })
      .join(' '.repeat(GAP))
      .trimEnd();
  return (
    [
      line(columns.map((c) => c.header)),
      line(widths.map((w) => '-'.repeat(w ?? 0))),
      ...cells.map((row) => line(row, (i, v) => columns[i].color?.(v))),
    ].join('\n') + '\n'
  );
}

/**
 * "Key:   value" lines with the values aligned. With `width`, a long value wraps onto indented
 * continuation lines rather than running past the terminal's edge.
 */
export function renderFields(fields: Array<[string, unknown]>, width?: number): string {
  const keyWidth = Math.max(...fields.map(([k]) => displayWidth(k) + 1));
  const room = width ? Math.max(20, width - keyWidth - GAP) : Infinity;
  return (
    fields
      .map(([k, v]) => {
        const [first, ...rest] = wrap(cellText(v), room);
        return [`${(k + ':').padEnd(keyWidth)}  ${first}`, ...rest.map((r) => ' '.repeat(keyWidth + GAP) + r)].join('\n');
      })
      .join('\n') + '\n'
  );
}

/** Cuts text into pieces of at most `width` columns. */
export function wrap(text: string, width: number): string[] {
  if (!Number.isFinite(width) || displayWidth(text) <= width) return [text];
  const lines: string[] = [];
  let current = '';
  for (const ch of text) {
    if (displayWidth(current + ch) > width) {
      lines.push(current);
      current = '';
    }
    current += ch;
  }
  if (current) lines.push(current);
  return lines;
}
