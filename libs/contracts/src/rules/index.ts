export * from './enforcement-status';
export * from './object-path';
export * from './rule-conditions';
export * from './rule-context';
export * from './rule-templates';
export * from './timer-schedules';
