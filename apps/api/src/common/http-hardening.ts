import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';

/**
 * Content-Security-Policy of every answer. The web UI is a built Vite bundle: scripts, styles and
 * fonts from its own origin, API calls to its own origin. Inline style attributes stay allowed
 * (React and Swagger UI set them); inline scripts, plugins, other origins and framing do not.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Sent on every api answer (JSON, files of the web UI, errors): see docs/security.md. */
export function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  next();
}

/** ATTUNE_API_TRUST_PROXY as Express takes it: a hop count, true/false, or addresses and names ("loopback, 10.0.0.0/8"). */
export function trustProxyValue(value: string): boolean | number | string {
  if (/^\d+$/.test(value)) return Number(value);
  if (/^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  return value;
}

/**
 * A body-parser `verify` step: refuses (400) JSON nested deeper than `maxDepth`, by one pass over the
 * raw bytes before they are parsed. Brackets inside strings do not count.
 */
export function jsonDepthCheck(maxDepth: number) {
  return (_req: IncomingMessage, _res: ServerResponse, buf: Buffer): void => {
    let depth = 0;
    let inString = false;
    for (let i = 0; i < buf.length; i++) {
      const c = buf[i];
      if (inString) {
        if (c === 0x5c) i++; // backslash: skip the escaped byte
        else if (c === 0x22) inString = false;
      } else if (c === 0x22) {
        inString = true;
      } else if (c === 0x5b || c === 0x7b) {
        if (++depth > maxDepth) throw Object.assign(new Error(`JSON nested deeper than ${maxDepth} levels`), { status: 400, statusCode: 400, expose: true, type: 'entity.too.deep' });
      } else if (c === 0x5d || c === 0x7d) {
        depth--;
      }
    }
  };
}
