import { randomBytes } from 'node:crypto';
import type { BodySource } from './api-client';

export interface MultipartFile {
  /** Form field name. */
  field: string;
  filename: string;
  contentType: string;
  /** The content, produced lazily so that nothing is read until the request is sent. */
  content: () => AsyncIterable<Uint8Array>;
  /** Bytes in content, when known: then the request carries a Content-Length. */
  size?: number;
}

/** Only what a header can carry safely: no quotes, CR/LF or non-ASCII in a filename. */
function quoteFilename(name: string): string {
  return name.replace(/[^\x20-\x7e]|["\\]/g, '_');
}

/**
 * A streamed multipart/form-data body: the text fields, then one file part whose bytes are
 * pulled from `file.content()` as the request is written, so memory stays flat whatever the
 * file's size. When the size is known the body length is too, and the server can refuse an
 * oversized upload before reading it.
 */
export function multipartBody(fields: Record<string, string | undefined>, file: MultipartFile): BodySource {
  const boundary = `----attune${randomBytes(12).toString('hex')}`;
  let head = '';
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    head += `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  }
  head +=
    `--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${quoteFilename(file.filename)}"\r\n` +
    `Content-Type: ${file.contentType}\r\n\r\n`;
  const headBytes = Buffer.from(head, 'utf8');
  const tailBytes = Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8');
  async function* body(): AsyncGenerator<Uint8Array> {
    yield headBytes;
    yield* file.content();
    yield tailBytes;
  }
  const headers: Record<string, string> = { 'content-type': `multipart/form-data; boundary=${boundary}` };
  if (file.size !== undefined) headers['content-length'] = String(headBytes.length + file.size + tailBytes.length);
  return { body: body(), headers };
}
