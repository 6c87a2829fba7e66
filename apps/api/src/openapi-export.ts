import 'reflect-metadata';
import { runMain } from '@attune/service-kit';
import { buildOpenApiDocument } from './openapi-document';

/**
 * `node dist/apps/api/openapi.js`: writes the OpenAPI document the api serves to stdout, without a
 * database or a broker. `npm run openapi:client` turns it into libs/api-client.
 */
runMain('openapi', async () => {
  const doc = await buildOpenApiDocument();
  await new Promise<void>((resolve, reject) => process.stdout.write(JSON.stringify(doc), (err) => (err ? reject(err) : resolve())));
});
