import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * The root logger of a service: JSON lines on stdout, with the service name on every line.
 * Code that works on one execution logs through `logger.child({ execution_id })`.
 */
export function createRootLogger(service: string, level: string): Logger {
  return pino({
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['req.headers.authorization', 'token', '*.token', 'password', '*.password', 'refresh_token'],
      censor: '[redacted]',
    },
  });
}

/** Injection token of the service's root pino logger (for per-execution child loggers). */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');
