import busboy from 'busboy';
import { Readable } from 'node:stream';
import { multipartBody } from './multipart';

async function bytesOf(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of body) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

describe('multipartBody', () => {
  it('streams fields and one file part that a multipart parser reads back exactly, with the right Content-Length', async () => {
    const content = Buffer.alloc(300_000, 7);
    const source = multipartBody(
      { content_type: 'text/plain', execution: '42', skipped: undefined },
      {
        field: 'file',
        filename: 'ré"port.txt',
        contentType: 'text/plain',
        size: content.length,
        content: async function* () {
          for (let i = 0; i < content.length; i += 65536) yield content.subarray(i, i + 65536);
        },
      },
    );
    const raw = await bytesOf(source.body as AsyncIterable<Uint8Array>);
    expect(Number(source.headers?.['content-length'])).toBe(raw.length);

    const fields: Record<string, string> = {};
    const files: Array<{ name: string; filename: string; bytes: Buffer }> = [];
    await new Promise<void>((resolve, reject) => {
      const bb = busboy({ headers: { 'content-type': source.headers!['content-type'] } });
      bb.on('field', (name, value) => (fields[name] = value));
      bb.on('file', (name, stream, info) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => files.push({ name, filename: info.filename, bytes: Buffer.concat(chunks) }));
      });
      bb.on('close', resolve);
      bb.on('error', reject);
      Readable.from([raw]).pipe(bb);
    });
    expect(fields).toEqual({ content_type: 'text/plain', execution: '42' });
    expect(files).toHaveLength(1);
    expect(files[0].name).toBe('file');
    expect(files[0].filename).toBe('r__port.txt');
    expect(files[0].bytes.equals(content)).toBe(true);
  });

  it('sends no Content-Length when the size is unknown (a pack directory packed on the fly)', () => {
    const source = multipartBody({}, { field: 'pack', filename: 'p.tar.gz', contentType: 'application/gzip', content: async function* () {} });
    expect(source.headers?.['content-length']).toBeUndefined();
  });
});
