export * from './expression-evaluator';
