import type { ClientRequest } from 'node:http';

/** A small answer of the api: its status and (the start of) its body. */
export interface Answer {
  status: number;
  body: string;
}

/** Resolves with the response's status and first chunks of body (enough for an error or a JSON answer). */
export function answerOf(req: ClientRequest, resolve: (a: Answer) => void, reject: (err: Error) => void): void {
  req.on('response', (res) => {
    const parts: Buffer[] = [];
    res.on('data', (b: Buffer) => parts.length < 64 && parts.push(b));
    res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }));
    res.on('error', reject);
  });
}

/** Writes a chunk of a streamed request body, waiting for the socket to drain (flat memory). */
export async function writeChunk(req: ClientRequest, chunk: Buffer): Promise<void> {
  if (!req.write(chunk)) await new Promise<void>((r) => req.once('drain', r).once('close', r));
}
