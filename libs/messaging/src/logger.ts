import pino, { type Logger } from 'pino';

/** Used when a service passes no logger: plain JSON lines at info level. */
export function fallbackLogger(service: string): Logger {
  return pino({ level: 'info', base: { service } });
}

/** The URL without its password, for logs and error messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}

/**
 * What is logged about an error, under the key `error`. Deliberately not pino's `err` key and
 * serializer, which copy every enumerable property: DomainError.details or an HTTP client error
 * may carry payload data or tokens.
 */
export function errorSummary(err: unknown): { name: string; message: string; code?: unknown; stack?: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { name: err.name, message: err.message, ...(code !== undefined ? { code } : {}), stack: err.stack };
  }
  if (err && typeof err === 'object' && 'message' in err) {
    return { name: 'NonError', message: String((err as { message: unknown }).message) };
  }
  return { name: 'NonError', message: String(err) };
}
