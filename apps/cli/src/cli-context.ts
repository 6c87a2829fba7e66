import { type CliEnv } from './config/cli-env';
import { ConfigStore } from './config/config-store';
import { ApiClient } from './http/api-client';
import { Output } from './output/output';
import type { TerminalLike } from './output/progress-bar';
import { Prompter } from './prompt/prompt';

export interface CliStreams {
  stdout: TerminalLike & NodeJS.WritableStream;
  stderr: TerminalLike & NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

/** Everything a command needs, made once per run. */
export class CliContext {
  readonly store: ConfigStore;
  readonly api: ApiClient;
  readonly prompter: Prompter;

  constructor(
    readonly env: CliEnv,
    readonly streams: CliStreams,
  ) {
    this.store = new ConfigStore(env.configDir);
    this.api = new ApiClient(this.store, fetch, Date.now, { url: env.url, token: env.token, tokenSource: env.tokenSource });
    this.prompter = new Prompter(streams);
  }

  /**
   * On a terminal, tables fit its width (COLUMNS, else what the terminal says, else 80) unless
   * --wide, and statuses are coloured unless NO_COLOR; into a pipe, full width and no colour.
   */
  output(opts: { json?: boolean; wide?: boolean }): Output {
    const out = this.streams.stdout;
    const width = out.isTTY && !opts.wide ? (this.env.columns ?? (out.columns || 80)) : undefined;
    return new Output(this.streams, !!opts.json, { width, color: this.env.color ?? !!out.isTTY, wide: !!opts.wide });
  }

  /** Said on stderr if the user interrupts (Ctrl-C) while it is set: what goes on without us. */
  interruptNote?: string;
}
