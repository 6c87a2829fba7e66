import 'reflect-metadata';
import { MessageTypes } from '@attune/contracts';
import { AmqpServer } from '@attune/messaging';
import { createRootLogger, runMain, tuneGcForStreaming, startService } from '@attune/service-kit';
import { AppModule } from './app.module';
import { ArtifactStoreConfig } from './config/artifact-store.config';

tuneGcForStreaming();

runMain('artifact-store', async () => {
  const config = ArtifactStoreConfig.fromEnv();
  const logger = createRootLogger('artifact-store', config.logLevel);
  await startService({
    name: 'artifact-store',
    module: AppModule.forRoot(config, logger),
    port: config.port,
    host: config.host,
    logger,
    // Live log chunks have a queue of their own: a flood of them from one large log never delays
    // the commands (commits of uploads and of whole logs) that executions wait on.
    transport: [
      new AmqpServer({
        url: config.amqpUrl,
        namespace: config.amqpNamespace,
        service: 'artifact-store',
        queue: 'artifact-store',
        prefetch: config.prefetch,
        except: [MessageTypes.ExecutionLog],
        logger,
      }),
      new AmqpServer({
        url: config.amqpUrl,
        namespace: config.amqpNamespace,
        service: 'artifact-store',
        queue: 'artifact-store.logs',
        prefetch: config.logPrefetch,
        only: [MessageTypes.ExecutionLog],
        logger,
      }),
    ],
  });
});
