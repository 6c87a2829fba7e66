import 'reflect-metadata';
import { createRootLogger, runMain, startService } from '@attune/service-kit';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { apiValidationPipe } from './common/validation';
import { ApiConfig } from './config/api.config';
import { mountOpenApi } from './openapi';

runMain('api', async () => {
  const config = ApiConfig.fromEnv();
  const logger = createRootLogger('api', config.logLevel);
  await startService({
    name: 'api',
    module: AppModule.forRoot(config, logger),
    port: config.port,
    host: config.host,
    logger,
    configure: (app) => {
      const express = app as NestExpressApplication;
      express.useBodyParser('json', { limit: config.bodyLimit });
      express.disable('x-powered-by');
      app.useGlobalPipes(apiValidationPipe());
      mountOpenApi(app);
    },
  });
});
