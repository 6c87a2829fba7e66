import 'reflect-metadata';
import { dispatchRoutingKey, MessageTypes, runtimeSetKey, workerQueueName } from '@attune/contracts';
import { AmqpServer } from '@attune/messaging';
import { createRootLogger, runMain, tuneGcForStreaming, startService } from '@attune/service-kit';
import { AppModule } from './app.module';
import { WorkerConfig } from './config/worker.config';
import { probeIdentity } from './runner/run-identity';
import { detectRuntimes } from './runtimes/runtime-probe';

tuneGcForStreaming();

runMain('worker', async () => {
  const config = WorkerConfig.fromEnv();
  const logger = createRootLogger('worker', config.logLevel).child({ worker: config.name });
  config.runtimes = await detectRuntimes(config, undefined, probeIdentity(config));
  const runtimeSet = runtimeSetKey(config.runtimes);
  logger.info({ runtimes: config.runtimes }, 'runtimes available');
  await startService({
    name: 'worker',
    module: AppModule.forRoot(config, logger),
    port: config.port,
    host: config.host,
    logger,
    // Workers of one pool with the same runtimes compete on one shared queue: scaling out needs
    // no per-worker queue, and the executor routes each action to a set that has its runtime.
    transport: new AmqpServer({
      url: config.amqpUrl,
      namespace: config.amqpNamespace,
      service: 'worker',
      queue: workerQueueName(config.pool, runtimeSet),
      prefetch: config.concurrency,
      routingKeys: { [MessageTypes.ExecutionDispatch]: [dispatchRoutingKey(config.pool, runtimeSet)] },
      // A failed pre-run check (api busy or restarting) is retried for minutes, not dead-lettered.
      maxAttempts: 10,
      drainTimeoutMs: config.drainTimeoutMs,
      logger,
    }),
  });
});
