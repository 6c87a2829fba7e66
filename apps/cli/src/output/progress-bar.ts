import { formatBytes } from './format';

/** The part of a tty.WriteStream the bar needs (a fake in tests). */
export interface TerminalLike {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): boolean;
}

export interface Progress {
  /** `bytes` more were transferred. */
  advance(bytes: number): void;
  /** The transfer finished: draw it complete and end the line. */
  finish(): void;
  /** The transfer failed: erase the bar. */
  abort(): void;
}

export const NO_PROGRESS: Progress = { advance: () => undefined, finish: () => undefined, abort: () => undefined };

const REDRAW_MS = 100;

/**
 * A one-line progress bar redrawn in place with `\r` (at most every 100 ms):
 * `upload big.bin  [#########-----------]  45%  90.0 MB / 200.0 MB  12.3 MB/s`.
 * Without a known total it shows the bytes and the rate only.
 */
export class ProgressBar implements Progress {
  private done = 0;
  private lastDraw = 0;
  private readonly started: number;
  private closed = false;

  constructor(
    private readonly term: TerminalLike,
    private readonly label: string,
    private readonly total?: number,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
    this.draw();
  }

  advance(bytes: number): void {
    if (this.closed) return;
    this.done += bytes;
    if (this.now() - this.lastDraw >= REDRAW_MS) this.draw();
  }

  finish(): void {
    if (this.closed) return;
    if (this.total !== undefined) this.done = Math.max(this.done, this.total);
    this.draw();
    this.term.write('\n');
    this.closed = true;
  }

  abort(): void {
    if (this.closed) return;
    this.term.write('\r\x1b[K');
    this.closed = true;
  }

  /** The line as drawn now (without the leading carriage return). */
  render(): string {
    const elapsed = Math.max(1, this.now() - this.started) / 1000;
    const rate = `${formatBytes(this.done / elapsed)}/s`;
    const width = this.term.columns && this.term.columns > 20 ? this.term.columns : 80;
    if (!this.total) return `${this.label}  ${formatBytes(this.done)}  ${rate}`.slice(0, width - 1);
    const fraction = Math.min(1, this.done / this.total);
    const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
    const tail = `${percent}  ${formatBytes(this.done)} / ${formatBytes(this.total)}  ${rate}`;
    // Sized against the widest tail ("100%  999.9 MB / 999.9 MB  999.9 MB/s"), so the bar keeps its width as numbers change.
    const barWidth = Math.max(10, Math.min(30, width - 1 - this.label.length - 44 - 6));
    const filled = Math.round(fraction * barWidth);
    return `${this.label}  [${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]  ${tail}`.slice(0, width - 1);
  }

  private draw(): void {
    this.lastDraw = this.now();
    this.term.write(`\r${this.render()}\x1b[K`);
  }
}
