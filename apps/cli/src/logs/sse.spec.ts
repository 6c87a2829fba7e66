import { parseSse, type SseEvent } from './sse';

async function collect(chunks: Array<string | Uint8Array>): Promise<SseEvent[]> {
  async function* source() {
    yield* chunks;
  }
  const out: SseEvent[] = [];
  for await (const ev of parseSse(source())) out.push(ev);
  return out;
}

describe('parseSse', () => {
  it('parses the log tail the API sends: log events with byte-offset ids, pings, then end', async () => {
    const text = 'id: 6\nevent: log\ndata: "hello\\n"\n\n: ping\n\nid: 12\nevent: log\ndata: "world\\n"\n\nevent: end\ndata: {"status":"completed","bytes":12}\n\n';
    expect(await collect([text])).toEqual([
      { event: 'log', data: '"hello\\n"', id: '6' },
      { event: 'log', data: '"world\\n"', id: '12' },
      { event: 'end', data: '{"status":"completed","bytes":12}', id: undefined },
    ]);
  });

  it('copes with chunks that split lines, CRLF pairs and multi-byte characters anywhere', async () => {
    const bytes = Buffer.from('event: log\r\ndata: "héllo ✓"\r\nid: 10\r\n\r\ndata: a\r\ndata: b\r\n\r\n', 'utf8');
    const pieces: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i++) pieces.push(bytes.subarray(i, i + 1));
    expect(await collect(pieces)).toEqual([
      { event: 'log', data: '"héllo ✓"', id: '10' },
      { event: 'message', data: 'a\nb', id: undefined },
    ]);
  });

  it('drops an event the stream ended in the middle of', async () => {
    expect(await collect(['event: log\ndata: "x"\n\nevent: log\ndata: "cut'])).toEqual([{ event: 'log', data: '"x"', id: undefined }]);
  });
});
