import { createGzip } from 'node:zlib';

/** One entry of a hand-made tar archive, hostile ones included. */
export interface TarEntry {
  path: string;
  type?: 'file' | 'dir' | 'symlink' | 'hardlink' | 'fifo' | 'chardev';
  content?: string | Buffer;
  /** Instead of content: this many zero bytes, streamed (for decompression bombs). */
  zeros?: number;
  linkpath?: string;
  mode?: number;
}

const TYPEFLAGS = { file: '0', hardlink: '1', symlink: '2', chardev: '3', dir: '5', fifo: '6' } as const;

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

/** A ustar header, written field by field so tests can put anything in it (`..`, `/etc/x`). */
function header(e: TarEntry, size: number): Buffer {
  const h = Buffer.alloc(512, 0);
  const put = (text: string, offset: number, width: number) => h.write(text, offset, Math.min(Buffer.byteLength(text), width), 'utf8');
  const type = e.type ?? 'file';
  put(e.path, 0, 100);
  put(octal(e.mode ?? (type === 'dir' ? 0o755 : 0o644), 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(Math.floor(Date.now() / 1000), 12), 136, 12);
  put('        ', 148, 8);
  put(TYPEFLAGS[type], 156, 1);
  if (e.linkpath) put(e.linkpath, 157, 100);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const b of h) sum += b;
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  return h;
}

/**
 * Builds a `.tar.gz` from entries exactly as given: no path is cleaned, so tests can make the
 * archives a hostile client would send. Zero-filled entries are streamed through gzip, so a
 * bomb of hundreds of megabytes costs little memory.
 */
export async function buildTarGz(entries: TarEntry[]): Promise<Buffer> {
  const gzip = createGzip({ level: 9 });
  const chunks: Buffer[] = [];
  gzip.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve, reject) => {
    gzip.on('end', resolve);
    gzip.on('error', reject);
  });
  const write = (b: Buffer) =>
    new Promise<void>((resolve) => {
      if (gzip.write(b)) resolve();
      else gzip.once('drain', resolve);
    });
  for (const e of entries) {
    const body = e.content === undefined ? undefined : Buffer.isBuffer(e.content) ? e.content : Buffer.from(e.content);
    const size = (e.type ?? 'file') === 'file' ? (body?.length ?? e.zeros ?? 0) : 0;
    await write(header(e, size));
    if (body && size) await write(body);
    else if (e.zeros && size) {
      const block = Buffer.alloc(1024 * 1024);
      for (let left = size; left > 0; left -= block.length) await write(left >= block.length ? block : block.subarray(0, left));
    }
    const pad = (512 - (size % 512)) % 512;
    if (pad) await write(Buffer.alloc(pad));
  }
  await write(Buffer.alloc(1024));
  gzip.end();
  await done;
  return Buffer.concat(chunks);
}
