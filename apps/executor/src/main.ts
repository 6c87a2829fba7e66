import 'reflect-metadata';
import { AmqpServer } from '@attune/messaging';
import { createRootLogger, runMain, startService } from '@attune/service-kit';
import { AppModule } from './app.module';
import { ExecutorConfig } from './config/executor.config';

runMain('executor', async () => {
  const config = ExecutorConfig.fromEnv();
  const logger = createRootLogger('executor', config.logLevel);
  await startService({
    name: 'executor',
    module: AppModule.forRoot(config, logger),
    port: config.port,
    host: config.host,
    logger,
    transport: new AmqpServer({
      url: config.amqpUrl,
      namespace: config.amqpNamespace,
      service: 'executor',
      queue: 'executor',
      prefetch: config.prefetch,
      logger,
    }),
  });
});
