import { type Column, renderFields, renderTable, type TableOptions } from './format';
import { NO_PROGRESS, type Progress, ProgressBar, type TerminalLike } from './progress-bar';

export interface OutputStreams {
  stdout: TerminalLike;
  stderr: TerminalLike;
}

/**
 * Where a command's results go. With `--json` stdout carries exactly one JSON document (the
 * API's data) and nothing else; otherwise aligned tables and fields. Notes, prompts and progress
 * bars go to stderr, so stdout stays clean for pipes either way.
 */
export class Output {
  constructor(
    readonly streams: OutputStreams,
    readonly json: boolean,
    /** How tables fit the terminal and whether they are coloured (from CliContext.output). */
    readonly layout: TableOptions = {},
  ) {}

  /** The machine result (JSON mode) or the human rendering (otherwise). */
  result(data: unknown, human: () => string): void {
    this.streams.stdout.write(this.json ? JSON.stringify(data, null, 2) + '\n' : human());
  }

  table<T>(data: unknown, rows: T[], columns: Column<T>[], empty = 'Nothing found.\n'): void {
    this.result(data, () => (rows.length ? renderTable(rows, columns, this.layout) : empty));
  }

  /** A table for humans, laid out like `table` (for tables inside a longer rendering). */
  render<T>(rows: T[], columns: Column<T>[]): string {
    return renderTable(rows, columns, this.layout);
  }

  fields(data: unknown, fields: Array<[string, unknown]>, more = ''): void {
    this.result(data, () => renderFields(fields, this.layout.width) + more);
  }

  /** A human message on stdout (nothing in JSON mode). */
  say(text: string): void {
    if (!this.json && text) this.streams.stdout.write(text.endsWith('\n') ? text : text + '\n');
  }

  /** A hint for humans on stderr (nothing in JSON mode), so pipes of the table stay clean. */
  hint(text: string): void {
    if (!this.json && text) this.streams.stderr.write(text.endsWith('\n') ? text : text + '\n');
  }

  /** A message on stderr, in both modes. */
  note(text: string): void {
    this.streams.stderr.write(text.endsWith('\n') ? text : text + '\n');
  }

  /** A progress bar on stderr when both stdout and stderr are terminals and the output is for humans. */
  progress(label: string, total?: number): Progress {
    const { stdout, stderr } = this.streams;
    if (this.json || !stdout.isTTY || !stderr.isTTY) return NO_PROGRESS;
    return new ProgressBar(stderr, label, total);
  }
}
