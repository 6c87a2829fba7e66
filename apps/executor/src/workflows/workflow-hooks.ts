import type { ActionEntity, ExecutionEntity } from '@attune/persistence';
import { Injectable } from '@nestjs/common';

/**
 * How the scheduler and the canceller reach the workflow engine without depending on it (the
 * engine depends on both): the engine registers itself here when it is created.
 */
@Injectable()
export class WorkflowHooks {
  start?: (execution: ExecutionEntity, action: ActionEntity) => Promise<void>;
  /** Answers false when the execution is no workflow run. */
  cancel?: (executionId: number) => Promise<boolean>;

  startRun(execution: ExecutionEntity, action: ActionEntity): Promise<void> {
    if (!this.start) throw new Error('the workflow engine is not running in this executor');
    return this.start(execution, action);
  }

  async cancelRun(executionId: number): Promise<boolean> {
    return this.cancel ? this.cancel(executionId) : false;
  }
}
