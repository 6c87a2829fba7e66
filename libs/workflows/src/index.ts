export * from './workflow-model';
export * from './workflow-definition';
export * from './workflow-expressions';
export * from './workflow-graph';
export * from './artifact-retention';
