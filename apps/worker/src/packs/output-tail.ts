import type { OutputSink } from '../runner/process-runner';

/**
 * Keeps the last `limit` bytes written to it (both streams of an installer, interleaved as they
 * come): what a failed build reports. Memory stays bounded whatever the installer prints.
 */
export class OutputTail implements OutputSink {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit: number) {}

  write(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - this.chunks[0].length >= this.limit) this.size -= (this.chunks.shift() as Buffer).length;
    return true;
  }

  waitForDrain(): Promise<void> {
    return Promise.resolve();
  }

  /** The last `chars` characters, trimmed (a cut UTF-8 sequence at the start is dropped). */
  text(chars: number): string {
    const all = Buffer.concat(this.chunks);
    const text = all.subarray(Math.max(0, all.length - this.limit)).toString('utf8').replace(/^\uFFFD+/, '');
    return text.slice(-chars).trim();
  }
}
