import { ExecutionDispatchV1, ExecutionRequestedV1, MessageTypes } from '@attune/contracts';
import { Controller, Inject, type INestApplicationContext } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import type { Logger } from 'pino';
import { AmqpContext, AmqpHealthIndicator, AmqpServer, MessagePublisher, MessagingModule, type AmqpServerOptions } from '../../src';
import { BROKER_URL } from './broker';

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
