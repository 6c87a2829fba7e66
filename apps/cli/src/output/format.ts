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
  for (const ch of text) {
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
}

/** An aligned table: a header, a rule of dashes, then one line per row; columns two spaces apart. */
export function renderTable<T>(rows: T[], columns: Column<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => truncate(cellText(c.value(r)), c.max ?? Infinity)));
  const widths = columns.map((c, i) => Math.max(displayWidth(c.header), ...cells.map((row) => displayWidth(row[i]))));
  const line = (values: string[]) =>
    values
      .map((v, i) => {
        const gap = ' '.repeat(widths[i] - displayWidth(v));
        if (columns[i].right) return gap + v;
        return i === values.length - 1 ? v : v + gap;
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n') + '\n';
}

/** "Key:   value" lines with the values aligned. */
export function renderFields(fields: Array<[string, unknown]>): string {
  const width = Math.max(...fields.map(([k]) => displayWidth(k) + 1));
  return fields.map(([k, v]) => `${(k + ':').padEnd(width)}  ${cellText(v)}`).join('\n') + '\n';
}
