import type { ExecutionEntity } from '@attune/persistence';
import { Injectable } from '@nestjs/common';

type Listener = (execution: ExecutionEntity) => Promise<void>;

/**
 * In-process news of executions that reached a terminal status, from every place in the
 * executor that ends one (results, cancels, refusals, lost workers). The workflow engine listens
 * to step the run a child belongs to. It is a shortcut, not the guarantee: what a crash loses
 * here, the workflow sweep finds in the database.
 */
@Injectable()
export class ExecutionEndings {
  private readonly listeners: Listener[] = [];

  subscribe(listener: Listener): void {
    this.listeners.push(listener);
  }

  /**
   * Tells every listener and waits for them, so a message is acked only after what its
   * execution's end set off is committed too. Listeners handle their own errors.
   */
  async ended(execution: ExecutionEntity | null | undefined): Promise<void> {
    if (!execution) return;
    for (const listener of this.listeners) await listener(execution);
  }
}
