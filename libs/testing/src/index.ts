export * from './amqp-cleanup';
export * from './api-client';
export * from './platform';
export { prepareTestDatabase, testAmqpUrl, testDatabaseUrl, uniqueNamespace } from '@attune/persistence';
export * from './wait-for';
export * from './s3rver';
export * from './tarball';
