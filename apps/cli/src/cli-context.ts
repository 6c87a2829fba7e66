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
    this.api = new ApiClient(this.store);
    this.prompter = new Prompter(streams);
  }

  output(opts: { json?: boolean }): Output {
    return new Output(this.streams, !!opts.json);
  }
}
