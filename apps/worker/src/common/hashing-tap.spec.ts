import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { hashingTap } from './hashing-tap';

describe('hashingTap', () => {
  it('passes every byte on unchanged, and counts and hashes them', async () => {
    const chunks = [Buffer.from('hello, '), Buffer.alloc(70_000, 7), Buffer.from('world')];
    const received: Buffer[] = [];
    const tap = hashingTap();
    await pipeline(
      Readable.from(chunks),
      tap.stream,
      new Writable({
        write(chunk: Buffer, _enc, done) {
          received.push(chunk);
          done();
        },
      }),
    );
    const whole = Buffer.concat(chunks);
    expect(Buffer.concat(received).equals(whole)).toBe(true);
    expect(tap.bytes).toBe(whole.length);
    expect(tap.sha256()).toBe(createHash('sha256').update(whole).digest('hex'));
  });

  it('says how far a body got when it broke off', async () => {
    const tap = hashingTap();
    const failing = new Readable({
      read() {
        this.push(Buffer.alloc(1000));
        this.destroy(new Error('connection reset'));
      },
    });
    await expect(pipeline(failing, tap.stream, new Writable({ write: (_c, _e, done) => done() }))).rejects.toThrow('connection reset');
    expect(tap.bytes).toBe(1000);
  });
});
