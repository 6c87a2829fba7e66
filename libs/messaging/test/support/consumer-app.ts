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

  async run(call: Call): Promise<void> {
    this.calls.push(call);
    await this.behavior(call);
    this.finished.push(call);
  }
}

/** A consumer written the way the services write theirs. */
@Controller()
export class TestConsumer {
  constructor(@Inject(PROBE) private readonly probe: Probe) {}

  @EventPattern(MessageTypes.ExecutionRequested)
  async onRequested(@Payload() payload: ExecutionRequestedV1, @Ctx() ctx: AmqpContext): Promise<void> {
    await this.probe.run({ type: MessageTypes.ExecutionRequested, payload, ctx });
  }

  @EventPattern(MessageTypes.ExecutionDispatch)
  async onDispatch(@Payload() payload: ExecutionDispatchV1, @Ctx() ctx: AmqpContext): Promise<void> {
    await this.probe.run({ type: MessageTypes.ExecutionDispatch, payload, ctx });
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
}

export async function startConsumerApp(opts: StartOptions): Promise<ConsumerApp> {
  const probe = new Probe();
  const service = opts.service ?? 'test';
  const moduleRef = await Test.createTestingModule({
    imports: [MessagingModule.forRoot({ url: BROKER_URL, namespace: opts.namespace, service, logger: opts.logger })],
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
    await http.startAllMicroservices();
    await http.init();
    app = http;
  } else {
    const micro = moduleRef.createNestMicroservice({ strategy: server, logger: false });
    await micro.listen();
    app = micro;
  }
  return { app, server, probe, publisher: app.get(MessagePublisher), health: app.get(AmqpHealthIndicator) };
}

/** A promise with its resolve function, to hold a handler until the test lets it go. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}
