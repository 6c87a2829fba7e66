import 'reflect-metadata';
import { dispatchRoutingKey, MessageTypes } from '@attune/contracts';
import { AmqpServer } from '@attune/messaging';
import { createRootLogger, runMain, startService } from '@attune/service-kit';
import { AppModule } from './app.module';
import { WorkerConfig } from './config/worker.config';

runMain('worker', async () => {
  const config = WorkerConfig.fromEnv();
  const logger = createRootLogger('worker', config.logLevel).child({ worker: config.name });
  await startService({
    name: 'worker',
    module: AppModule.forRoot(config, logger),
    port: config.port,
    host: config.host,
    logger,
    // Workers of one pool compete on one shared queue: scaling out needs no per-worker queue.
    transport: new AmqpServer({
      url: config.amqpUrl,
      namespace: config.amqpNamespace,
      service: 'worker',
      queue: `worker.${config.pool}`,
      prefetch: config.concurrency,
      routingKeys: { [MessageTypes.ExecutionDispatch]: [dispatchRoutingKey(config.pool)] },
      maxAttempts: 3,
      drainTimeoutMs: config.drainTimeoutMs,
      logger,
    }),
  });
});
