// The api's HTTP contract for its clients (web UI, CLI, tests), generated from the OpenAPI document
// the api serves: `schema.ts` is openapi-typescript's output and `openapi.json` the document itself,
// both written by `npm run openapi:client` and checked against the api by its unit tests.
export type { components, operations, paths } from './schema';
export * from './schemas';
export * from './client';
export * from './operations';
