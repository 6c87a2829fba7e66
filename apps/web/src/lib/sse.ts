/** One Server-Sent Event. `id` is what the server sent last (it persists across events). */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/**
 * An incremental text/event-stream parser (the WHATWG rules that matter here: `event`, `data`,
 * `id`, comments, LF/CRLF/CR line ends, an event dispatched at a blank line). It is fed decoded
 * text in arbitrary chunks, since a network read may end anywhere, even mid-line.
 */
export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];
  private idBuffer: string | undefined;
  private lastId: string | undefined;
  /** A CR ended the previous chunk: an LF opening the next one belongs to it. */
  private pendingCr = false;

  push(chunk: string): SseEvent[] {
    const out: SseEvent[] = [];
    let text = chunk;
    if (this.pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.pendingCr = false;
    this.buffer += text;
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer[i];
      if (c !== '\n' && c !== '\r') continue;
      this.line(this.buffer.slice(start, i), out);
      if (c === '\r') {
        if (i + 1 < this.buffer.length) {
          if (this.buffer[i + 1] === '\n') i++;
        } else {
          this.pendingCr = true;
        }
      }
      start = i + 1;
    }
    this.buffer = this.buffer.slice(start);
    return out;
  }

  /** The id of the last event received: what to send as Last-Event-ID to resume. */
  get id(): string | undefined {
    return this.lastId;
  }

  private line(line: string, out: SseEvent[]): void {
    if (line === '') {
      // The id counts only once its event is complete: a stream cut mid-event resumes before it.
      this.lastId = this.idBuffer;
      if (this.data.length > 0) out.push({ event: this.event || 'message', data: this.data.join('\n'), id: this.lastId });
      this.event = '';
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.idBuffer = value;
  }
}
