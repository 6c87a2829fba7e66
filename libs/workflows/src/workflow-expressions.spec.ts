import { ExpressionError } from '@attune/contracts';
import {
  compileWorkflowExpression,
  conditionIssues,
  evaluateWorkflowCondition,
  templateIssues,
  usesWorkflowFunctions,
  workflowFunctionScope,
} from './workflow-expressions';

describe('workflow expressions', () => {
  const scope = (status: 'succeeded' | 'failed' | 'timed_out', result: unknown = { code: 200, items: [1, 2] }) => ({
    parameters: { env: 'production' },
    ...workflowFunctionScope({ status, result }),
  });

  it('evaluates the workflow functions from the outcome of the task that ended', () => {
    expect(evaluateWorkflowCondition('{{ succeeded() }}', scope('succeeded'))).toBe(true);
    expect(evaluateWorkflowCondition('{{ failed() }}', scope('succeeded'))).toBe(false);
    expect(evaluateWorkflowCondition('{{ failed() and not timed_out() }}', scope('failed'))).toBe(true);
    // A timeout is a failure that timed_out() tells apart.
    expect(evaluateWorkflowCondition('{{ failed() and timed_out() }}', scope('timed_out'))).toBe(true);
    expect(evaluateWorkflowCondition("succeeded() and result().code == 200 and parameters.env == 'production'", scope('succeeded'))).toBe(true);
    expect(compileWorkflowExpression('result().items | length').evaluate(scope('succeeded'))).toBe(2);
  });

  it('leaves other calls, and method calls, to the evaluator, which refuses them', () => {
    expect(() => compileWorkflowExpression('now()')).toThrow(ExpressionError);
    expect(() => compileWorkflowExpression('x.result()')).toThrow(ExpressionError);
    expect(usesWorkflowFunctions('x.result()')).toBe(false);
    expect(usesWorkflowFunctions('result ( ).id')).toBe(true);
  });

  it('reports where a template is wrong inside nested input', () => {
    expect(templateIssues({ a: ['ok', '{{ x | nope }}'], b: { c: 'plain' } }, false, 'input')).toEqual([
      { path: 'input.a[1]', message: expect.stringMatching(/"nope" is not a filter/) },
    ]);
    expect(templateIssues('no template here', false)).toEqual([]);
  });

  it('reads a condition as one whole {{ }} or a bare expression, not a mix', () => {
    expect(conditionIssues('{{ succeeded() }}', true)).toEqual([]);
    expect(conditionIssues('succeeded()', true)).toEqual([]);
    expect(conditionIssues('{{ a }} and {{ b }}', true)).toEqual([expect.stringMatching(/one whole/)]);
    expect(conditionIssues('{{ }}', true)).toEqual([expect.stringMatching(/empty/)]);
  });
});
