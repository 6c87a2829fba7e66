import {
  EXECUTION_TOKEN_GRACE_SECONDS,
  type ExecutionLogTokenClaims,
  type ExecutionTokenClaims,
  LOG_TOKEN_EXTRA_SECONDS,
  type WorkflowTaskRef,
} from '@attune/contracts';
import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';

/** Mints the short-lived token a running action uses to call the api about itself. */
@Injectable()
export class ExecutionTokenService {
  constructor(private readonly jwt: JwtService) {}

  /** A workflow task's token also names its run and task: it may read the run's artifacts. */
  mint(executionId: number, timeoutSeconds: number, workflowTask?: WorkflowTaskRef | null): Promise<string> {
    const claims: ExecutionTokenClaims = {
      typ: 'execution',
      sub: `execution:${executionId}`,
      execution_id: executionId,
      ...(workflowTask ? { workflow_execution: workflowTask.workflow_execution, task_name: workflowTask.task_name } : {}),
    };
    return this.jwt.signAsync(claims, { expiresIn: timeoutSeconds + EXECUTION_TOKEN_GRACE_SECONDS });
  }

  /** The worker's credential for storing one attempt's logs; it outlives the run by the time storing may take. */
  mintLogToken(executionId: number, attempt: number, timeoutSeconds: number): Promise<string> {
    const claims: ExecutionLogTokenClaims = { typ: 'execution-log', sub: `execution:${executionId}`, execution_id: executionId, attempt };
    return this.jwt.signAsync(claims, { expiresIn: timeoutSeconds + EXECUTION_TOKEN_GRACE_SECONDS + LOG_TOKEN_EXTRA_SECONDS });
  }
}
