import { setFlagsFromString } from 'node:v8';
import type { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { CustomTransportStrategy } from '@nestjs/microservices';
import { Logger as PinoNestLogger, LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';
import { ConfigError } from './config';
import { createRootLogger } from './logging';
import type { ServiceConfig } from './service-config';

export interface ServiceOptions {
  name: string;
  /** The app's root module, already configured. */
  module: Type<unknown> | import('@nestjs/common').DynamicModule;
  port: number;
  host?: string;
  logger: Logger;
  /** Consumers of this service, served beside its HTTP endpoints (one per queue it consumes). */
  transport?: CustomTransportStrategy | CustomTransportStrategy[];
  configure?: (app: INestApplication) => void | Promise<void>;
}

/**
 * Secrets that travel in URL paths, replaced before a request is logged: a webhook key is the
 * webhook's only credential (POST /api/v1/webhooks/{key}).
 */
const SECRET_PATH_SEGMENTS = /(\/webhooks\/)[^/?#]+/g;

export function redactUrl(url: string | undefined): string | undefined {
  return url?.replace(SECRET_PATH_SEGMENTS, '$1[redacted]');
}

/** nestjs-pino wired to the service's root logger, so HTTP and app logs share one stream. */
export function loggerModule(logger: Logger) {
  return LoggerModule.forRoot({
    pinoHttp: {
      logger,
      autoLogging: { ignore: (req) => req.url === '/health' || req.url === '/metrics' },
      quietReqLogger: true,
      serializers: {
        // Receives pino's serialized request. Path parameters are left out: they repeat the path
        // (the web UI's catch-all route even lists every segment), key included.
        req: (req: { url?: string; params?: unknown }) => {
          const { params: _params, ...rest } = req;
          return { ...rest, url: redactUrl(req.url) };
        },
      },
    },
  });
}

/** How long an idle HTTP keep-alive connection stays open. */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/** Creates, configures and starts a service; SIGTERM/SIGINT close it gracefully. */
export async function startService(opts: ServiceOptions): Promise<INestApplication> {
  const app = await NestFactory.create(opts.module, { bufferLogs: true, abortOnError: false });
  app.useLogger(app.get(PinoNestLogger));
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  await opts.configure?.(app);
  const transports = opts.transport === undefined ? [] : Array.isArray(opts.transport) ? opts.transport : [opts.transport];
  for (const strategy of transports) app.connectMicroservice({ strategy }, { inheritAppConfig: true });
  if (transports.length) await app.startAllMicroservices();
  // Idle keep-alive connections stay open longer than clients and load balancers keep theirs
  // (commonly 60 s). With Node's 5 s a client could reuse a connection the server was closing
  // at that moment, and a request failed with "other side closed" (seen in the e2e batch tests).
  const server = app.getHttpServer() as import('node:http').Server;
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1000;
  await app.listen(opts.port, opts.host ?? '0.0.0.0');
  opts.logger.info({ port: opts.port }, `${opts.name} listening`);
  return app;
}

/**
 * Runs a service's main function and turns a configuration or startup failure into one clear
 * line and exit code 1, instead of a stack trace or a half-started process.
 */
/**
 * For services that stream bytes through (api, artifact-store, worker). Every socket read
 * allocates a fresh buffer; V8 counts those as external memory and answers the pressure by
 * incrementally marking the whole heap, over and over: that doubled the api's CPU per byte moved
 * (docs/benchmarks.md), while the buffers die young and scavenges free them anyway. Without
 * incremental marking a full collection only runs when the old generation fills, as one pause
 * (about 15 ms for these services' heaps). ATTUNE_GC_INCREMENTAL_MARKING=true keeps V8's default.
 */
export function tuneGcForStreaming(env: NodeJS.ProcessEnv = process.env): void {
  if (/^(1|true|yes)$/i.test(env.ATTUNE_GC_INCREMENTAL_MARKING ?? '')) return;
  setFlagsFromString('--no-incremental-marking');
}

export function runMain(name: string, main: () => Promise<unknown>): void {
  main().catch((err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`${name}: ${err.message}\n`);
    } else {
      process.stderr.write(`${name}: failed to start: ${(err as Error)?.stack ?? String(err)}\n`);
    }
    process.exit(1);
  });
}

/** What a service adds to its config and logger to start: its module, transports, HTTP setup. */
export type ServiceParts = Pick<ServiceOptions, 'module' | 'transport' | 'configure'>;

/**
 * The whole main of a service: its config from the environment (a ConfigError ends it with one
 * line, see runMain), its root logger, and startService with the parts `build` makes of them.
 */
export function serviceMain<C extends ServiceConfig>(name: string, fromEnv: () => C, build: (config: C, logger: Logger) => ServiceParts): void {
  runMain(name, async () => {
    const config = fromEnv();
    const logger = createRootLogger(name, config.logLevel);
    await startService({ name, port: config.port, host: config.host, logger, ...build(config, logger) });
  });
}
