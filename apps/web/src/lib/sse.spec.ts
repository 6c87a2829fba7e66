import { describe, expect, it } from '@jest/globals';
import { SseParser } from './sse';

// The exact bytes the api's live tail writes (apps/api/src/executions/execution-logs.controller.ts).
const STREAM =
  'id: 6\nevent: log\ndata: "hello\\n"\n\n' + ': ping\n\n' + 'id: 12\nevent: log\ndata: "world\\n"\n\n' + 'event: end\ndata: {"status":"completed","bytes":12}\n\n';

describe('SseParser', () => {
  it('parses the log tail into log events with byte-offset ids and the end event', () => {
    const p = new SseParser();
    const events = p.push(STREAM);
    expect(events).toEqual([
      { event: 'log', data: '"hello\\n"', id: '6' },
      { event: 'log', data: '"world\\n"', id: '12' },
      { event: 'end', data: '{"status":"completed","bytes":12}', id: '12' },
    ]);
    expect(events.filter((e) => e.event === 'log').map((e) => JSON.parse(e.data)).join('')).toBe('hello\nworld\n');
    expect(p.id).toBe('12');
  });

  it('gives the same events however the stream is cut into chunks, one character at a time included', () => {
    const whole = new SseParser().push(STREAM);
    for (const size of [1, 2, 3, 5, 7, 16, 31]) {
      const p = new SseParser();
      const got = [];
      for (let i = 0; i < STREAM.length; i += size) got.push(...p.push(STREAM.slice(i, i + size)));
      expect(got).toEqual(whole);
    }
  });

  it('accepts CRLF and CR line ends, also split between chunks', () => {
    const crlf = STREAM.replace(/\n/g, '\r\n');
    const p = new SseParser();
    const got = [];
    for (let i = 0; i < crlf.length; i += 3) got.push(...p.push(crlf.slice(i, i + 3)));
    expect(got).toEqual(new SseParser().push(STREAM));
    expect(new SseParser().push('data: a\r\rdata: b\r\r')).toEqual([
      { event: 'message', data: 'a', id: undefined },
      { event: 'message', data: 'b', id: undefined },
    ]);
  });

  it('joins multi-line data, ignores comments and unknown fields, and keeps a value without a leading space as it is', () => {
    expect(new SseParser().push(': hi\nretry: 10\nfoo: bar\ndata:one\ndata:  two\n\n')).toEqual([{ event: 'message', data: 'one\n two', id: undefined }]);
  });

  it('counts an id only once its event is complete, so a stream cut mid-event resumes before that event', () => {
    const p = new SseParser();
    expect(p.push('id: 6\nevent: log\ndata: "a"\n\nid: 9\nevent: log\ndata: "bcd"\n')).toHaveLength(1);
    expect(p.id).toBe('6');
  });
});
