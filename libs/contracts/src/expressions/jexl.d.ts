// The part of jexl 2.3 (which ships no types) that the expression evaluator uses.
declare module 'jexl' {
  export interface JexlAst {
    type: string;
    [key: string]: unknown;
  }
  export interface JexlGrammarElement {
    type: string;
    precedence?: number;
    eval?: (...args: unknown[]) => unknown;
  }
  export interface JexlGrammar {
    elements: Record<string, JexlGrammarElement>;
    functions: Record<string, (...args: unknown[]) => unknown>;
    transforms: Record<string, (...args: unknown[]) => unknown>;
  }
  export interface JexlExpression {
    _getAst(): JexlAst;
    _ast: JexlAst | null;
    evalSync(context?: object): unknown;
  }
  export class Jexl {
    _grammar: JexlGrammar;
    addBinaryOp(operator: string, precedence: number, fn: (left: unknown, right: unknown) => unknown): void;
    addUnaryOp(operator: string, fn: (right: unknown) => unknown): void;
    compile(expression: string): JexlExpression;
  }
  const instance: Jexl & { Jexl: typeof Jexl };
  export default instance;
}
