import { createInterface, type Interface } from 'node:readline';
import { Writable } from 'node:stream';

export interface PromptStreams {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
}

/**
 * Questions on stderr, answers from stdin, a terminal or a pipe. One line reader serves every
 * question of the process, so answers piped in together (`printf 'y\n' | attune …`) are not
 * lost between questions. Hidden answers (passwords) are not echoed.
 */
export class Prompter {
  private rl?: Interface;
  private readonly lines: string[] = [];
  private waiting?: (line: string | undefined) => void;
  private ended = false;
  private muted = false;

  constructor(private readonly io: PromptStreams) {}

  async ask(question: string, hidden = false): Promise<string | undefined> {
    this.open();
    this.io.stderr.write(question);
    this.muted = hidden;
    const line = await this.nextLine();
    if (hidden) {
      this.muted = false;
      if (this.io.stdin.isTTY) this.io.stderr.write('\n');
    }
    return line;
  }

  /** y/yes (any case) confirms; anything else, or no answer, does not. */
  async confirm(question: string): Promise<boolean> {
    const answer = await this.ask(`${question} (y/N): `);
    return /^\s*y(es)?\s*$/i.test(answer ?? '');
  }

  close(): void {
    this.rl?.close();
    this.rl = undefined;
  }

  private open(): void {
    if (this.rl || this.ended) return;
    const output = new Writable({
      write: (chunk, _enc, done) => {
        if (!this.muted) this.io.stderr.write(chunk);
        done();
      },
    });
    // terminal mode on a tty: readline echoes keystrokes through `output`, which muting silences.
    this.rl = createInterface({ input: this.io.stdin, output, terminal: !!this.io.stdin.isTTY });
    this.rl.on('line', (line) => {
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = undefined;
        w(line);
      } else this.lines.push(line);
    });
    // In terminal mode readline takes Ctrl-C itself; it must still stop the command.
    this.rl.on('SIGINT', () => {
      this.close();
      this.io.stderr.write('\n');
      process.exit(130);
    });
    this.rl.on('close', () => {
      this.ended = true;
      this.waiting?.(undefined);
      this.waiting = undefined;
    });
  }

  private nextLine(): Promise<string | undefined> {
    if (this.lines.length) return Promise.resolve(this.lines.shift());
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => (this.waiting = resolve));
  }
}
