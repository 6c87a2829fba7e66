import 'reflect-metadata';
import { AmqpServer, busOptions } from '@attune/messaging';
import { serviceMain } from '@attune/service-kit';
import { AppModule } from './app.module';
import { ExecutorConfig } from './config/executor.config';

serviceMain('executor', () => ExecutorConfig.fromEnv(), (config, logger) => ({
  module: AppModule.forRoot(config, logger),
  // One queue for everything sent to the executor: api requests, worker reports, heartbeats, events.
  transport: new AmqpServer({ ...busOptions(config, 'executor', logger), queue: 'executor', prefetch: config.prefetch }),
}));
