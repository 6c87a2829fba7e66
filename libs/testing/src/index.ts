export * from './amqp-cleanup';
export * from './api-client';
export * from './platform';
export * from './test-database';
export * from './wait-for';
export * from './s3rver';
