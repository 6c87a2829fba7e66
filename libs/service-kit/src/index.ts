export * from './bootstrap';
export * from './config';
export * from './health';
export * from './logging';
export * from './metrics';
export * from './periodic-job';
export * from './service-config';
