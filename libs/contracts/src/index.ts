export * from './action';
export * from './envelope';
export * from './error-codes';
export * from './execution-result';
export * from './execution-status';
export * from './messages';
export * from './param-schema';
export * from './tokens';
