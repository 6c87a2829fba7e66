/** One Server-Sent Event. */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/**
 * Parses a text/event-stream body into events (the WHATWG rules the API's log tail needs:
 * `event`, `data` (several lines joined by \n), `id`, comments, CRLF or LF line ends). Chunks may
 * split lines and characters anywhere.
 */
export async function* parseSse(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder('utf-8');
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let id: string | undefined;
  let hasData = false;
  const dispatch = (): SseEvent | undefined => {
    const out = hasData ? { event: event || 'message', data: data.join('\n'), id } : undefined;
    event = '';
    data = [];
    hasData = false;
    id = undefined;
    return out;
  };
  const lineOf = (line: string): SseEvent | undefined => {
    if (line === '') return dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') {
      data.push(value);
      hasData = true;
    } else if (field === 'id' && !value.includes('\0')) id = value;
    return undefined;
  };
  for await (const chunk of chunks) {
    buffer += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffer.search(/\r\n|\n|\r/)) !== -1) {
      // A lone \r at the very end may be the first half of \r\n: wait for the next chunk.
      if (buffer[nl] === '\r' && nl === buffer.length - 1) break;
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + (buffer.startsWith('\r\n', nl) ? 2 : 1));
      const ev = lineOf(line);
      if (ev) yield ev;
    }
  }
  // An event not ended by a blank line is incomplete and dropped, as the spec says.
}
