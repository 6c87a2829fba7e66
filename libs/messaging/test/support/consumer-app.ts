import { ExecutionDispatchV1, ExecutionRequestedV1, MessageTypes } from '@attune/contracts';
import { Controller, Inject, type INestApplicationContext } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { afterAll, afterEach, beforeAll, beforeEach } from '@jest/globals';
import type { Logger } from 'pino';
import { AmqpContext, AmqpHealthIndicator, AmqpServer, MessagePublisher, MessagingModule, type AmqpServerOptions } from '../../src';
import { BROKER_URL, RawBroker, captureLogs, uniqueNamespace, type CapturedLogs } from './broker';

export const PROBE = Symbol('PROBE');

export interface Call {
  type: string;
  payload: object;
  ctx: AmqpContext;
}

/** What the test consumer does; tests replace `behavior` to make handlers fail, block or succeed. */
export class Probe {
  readonly calls: Call[] = [];
  readonly finished: Call[] = [];
  behavior: (call: Call) => unknown = () => undefined;

  /** Answers what the behavior answered: the reply when the message was a request. */
  async run(call: Call): Promise<unknown> {
    this.calls.push(call);
    const result = await this.behavior(call);
    this.finished.push(call);
    return result;
  }
}

/**
 * A consumer written the way the services write theirs. `EventPattern<string>`: Nest 12's typed
 * overload of EventPattern (picked for a bare string literal) demands `...args: unknown[]`, so
 * `@Ctx() ctx: AmqpContext` fails tsc with TS1241 without the explicit type argument.
 */
@Controller()
export class TestConsumer {
  constructor(@Inject(PROBE) private readonly probe: Probe) {}

  @EventPattern<string>(MessageTypes.ExecutionRequested)
  onRequested(@Payload() payload: ExecutionRequestedV1, @Ctx() ctx: AmqpContext): Promise<unknown> {
    return this.probe.run({ type: MessageTypes.ExecutionRequested, payload, ctx });
  }

  @EventPattern<string>(MessageTypes.ExecutionDispatch)
  onDispatch(@Payload() payload: ExecutionDispatchV1, @Ctx() ctx: AmqpContext): Promise<unknown> {
    return this.probe.run({ type: MessageTypes.ExecutionDispatch, payload, ctx });
  }
}

export interface ConsumerApp {
  app: INestApplicationContext & { close(): Promise<void> };
  server: AmqpServer;
  publisher: MessagePublisher;
  health: AmqpHealthIndicator;
  probe: Probe;
}

export interface StartOptions {
  namespace: string;
  queue?: string;
  logger: Logger;
  server?: Partial<AmqpServerOptions>;
  /** `hybrid`: createNestApplication + connectMicroservice, as the services do; default: a standalone microservice. */
  mode?: 'hybrid' | 'microservice';
  service?: string;
  publishTimeoutMs?: number;
}

export async function startConsumerApp(opts: StartOptions): Promise<ConsumerApp> {
  const probe = new Probe();
  const service = opts.service ?? 'test';
  const moduleRef = await Test.createTestingModule({
    imports: [
      MessagingModule.forRoot({ url: BROKER_URL, namespace: opts.namespace, service, logger: opts.logger, publishTimeoutMs: opts.publishTimeoutMs }),
    ],
    controllers: [TestConsumer],
    providers: [{ provide: PROBE, useValue: probe }],
  }).compile();
  const server = new AmqpServer({
    url: BROKER_URL,
    namespace: opts.namespace,
    service,
    queue: opts.queue ?? 'consumer',
    prefetch: 8,
    logger: opts.logger,
    ...opts.server,
  });
  let app: ConsumerApp['app'];
  if (opts.mode === 'hybrid') {
    const http = moduleRef.createNestApplication({ logger: false });
    http.connectMicroservice({ strategy: server });
    app = http;
    await closeOnFailure(app, async () => {
      await http.startAllMicroservices();
      await http.init();
    });
  } else {
    const micro = moduleRef.createNestMicroservice({ strategy: server, logger: false });
    app = micro;
    await closeOnFailure(app, () => micro.listen());
  }
  return { app, server, probe, publisher: app.get(MessagePublisher), health: app.get(AmqpHealthIndicator) };
}

/** What each test of a suite of consumer apps works with; `ns`, `logs` and `q` are new for every test. */
export interface ConsumerApps {
  /** A plain connection, opened for the whole suite, to look at the queues. */
  raw: RawBroker;
  /** This test's own namespace. */
  ns: string;
  logs: CapturedLogs;
  /** The names of this test's queue, its dead-letter queue and its retry queue. */
  q: { queue: string; dlq: string; retry: string };
  /** Starts a consumer app on this test's namespace and queue, logging to `logs`; it is closed after the test. */
  start(opts?: Partial<StartOptions>): Promise<ConsumerApp>;
  /** For a test that closes an app itself: the app is not closed again after the test. */
  closedByTest(app: ConsumerApp['app']): void;
}

/**
 * Hooks for a suite of consumer apps on `queue`: each test gets a fresh namespace and logs, and
 * after it every app it started is closed and everything declared in its namespace deleted.
 */
export function useConsumerApps(queue: string, defaults: Partial<StartOptions> = {}): ConsumerApps {
  let started: ConsumerApp[] = [];
  // raw, ns, logs and q are set by the hooks below, before any test reads them.
  const apps = {
    async start(opts: Partial<StartOptions> = {}) {
      const app = await startConsumerApp({ namespace: apps.ns, logger: apps.logs.logger, queue, ...defaults, ...opts });
      started.push(app);
      return app;
    },
    closedByTest(app: ConsumerApp['app']) {
      started = started.filter((a) => a.app !== app);
    },
  } as ConsumerApps;
  beforeAll(async () => {
    apps.raw = await RawBroker.open();
  });
  afterAll(async () => {
    await apps.raw.close();
  });
  beforeEach(() => {
    apps.ns = uniqueNamespace();
    apps.logs = captureLogs();
    apps.q = { queue: `${apps.ns}.${queue}`, dlq: `${apps.ns}.${queue}.dlq`, retry: `${apps.ns}.${queue}.retry` };
  });
  afterEach(async () => {
    for (const a of started) await a.app.close();
    started = [];
    await apps.raw.deleteNamespace(apps.ns, [queue]);
  });
  return apps;
}

async function closeOnFailure(app: { close(): Promise<void> }, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    await app.close().catch(() => undefined);
    throw err;
  }
}

/** A promise with its resolve function, to hold a handler until the test lets it go. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}
