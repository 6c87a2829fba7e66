import 'reflect-metadata';
import { createRootLogger, runMain, tuneGcForStreaming, startService } from '@attune/service-kit';
import { AppModule } from './app.module';
import { configureApi } from './app.setup';
import { ApiConfig } from './config/api.config';

tuneGcForStreaming();

runMain('api', async () => {
  const config = ApiConfig.fromEnv();
  const logger = createRootLogger('api', config.logLevel);
  await startService({
    name: 'api',
    module: AppModule.forRoot(config, logger),
    port: config.port,
    host: config.host,
    logger,
    configure: (app) => configureApi(app, config),
  });
});
