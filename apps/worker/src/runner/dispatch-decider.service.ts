import { type ExecutionClaimReplyV1, type ExecutionClaimV1, type ExecutionDispatchV1, MessageTypes } from '@attune/contracts';
import { MessagePublisher } from '@attune/messaging';
import { type Logger } from '@attune/service-kit';
import { type BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkerConfig } from '../config/worker.config';

/** What to do with one delivery: run it (the executor has recorded its start), or not. */
export type Decision = { run: true } | { run: false; reason: string };

/** Pause between two tries of an unanswered claim: doubles from the first to the last. */
export const CLAIM_RETRY_DELAYS = { firstMs: 250, maxMs: 5_000 } as const;

/**
 * Deciding: whether a delivered dispatch runs here. Every dispatch is claimed from the executor
 * before it runs (`execution.claim.v1`, request/reply). A dispatch can exist twice: the broker
 * redelivers one whose ack was lost (a worker died, a channel closed in a broker restart), and an
 * executor killed between publishing a dispatch and recording it leaves the execution for another
 * executor to publish again, as a fresh message no worker can tell from the first. The claim's
 * attempt is a fencing token that the executor's guarded transition to `running` checks, so a
 * copy of a dispatch already started, settled or cancelled is refused and dropped, and of two
 * copies at most one runs. The executor owns execution state, so asking it is the one consistent
 * answer, and it records the start in the same step (no separate start report).
 *
 * A claim the executor granted may still go unanswered here: the reply is lost when the broker
 * restarts, or arrives after the wait. Giving the dispatch back then would strand the execution
 * `running` on a live worker that never runs it. So an unanswered claim is asked again, the same
 * claim (same worker, attempt and start time), until it is answered: the executor grants a claim
 * it already granted to that very claim again, and refuses every other.
 */
@Injectable()
export class DispatchDecider implements BeforeApplicationShutdown {
  /** Executions cancelled recently: a dispatch for one of them arriving later is not run. */
  private readonly cancelled = new Set<number>();
  private readonly stopping = new AbortController();

  constructor(
    private readonly config: WorkerConfig,
    private readonly publisher: MessagePublisher,
  ) {}

  /** Remembers a cancel, so that a later dispatch of the execution is skipped. */
  cancelledNow(executionId: number): void {
    this.cancelled.add(executionId);
    if (this.cancelled.size > 10_000) this.cancelled.delete(this.cancelled.values().next().value as number);
  }

  /** A worker leaving stops asking before its consumer drains, so the drain does not wait on an absent executor. */
  beforeApplicationShutdown(): void {
    this.stopping.abort();
  }

  /**
   * Whether the dispatch runs. An unanswered claim is asked again until it is answered; only a
   * worker shutting down gives up, and throws (the transport then delivers the dispatch again,
   * and an execution granted to this worker is the worker-loss policy's once it is gone).
   */
  async decide(d: ExecutionDispatchV1, log: Logger): Promise<Decision> {
    const claim: ExecutionClaimV1 = {
      execution_id: d.execution_id,
      attempt: d.attempt,
      worker: this.config.name,
      started_at: new Date().toISOString(),
    };
    for (let delay: number = CLAIM_RETRY_DELAYS.firstMs; ; delay = Math.min(delay * 2, CLAIM_RETRY_DELAYS.maxMs)) {
      if (this.cancelled.has(d.execution_id)) return { run: false, reason: 'cancelled before it started here' };
      try {
        const reply = await this.publisher.request<ExecutionClaimReplyV1>(MessageTypes.ExecutionClaim, claim, {
          timeoutMs: this.config.claimTimeoutMs,
          correlationId: `execution:${d.execution_id}`,
        });
        if (reply.granted) return { run: true };
        log.info({ status: reply.status }, 'claim refused: the dispatch was already started, settled or cancelled');
        return { run: false, reason: `claim refused (execution ${reply.status ?? 'unknown'})` };
      } catch (err) {
        if (this.stopping.signal.aborted) throw err;
        log.warn({ error: err instanceof Error ? err.message : String(err), retry_in_ms: delay }, 'claim not answered; asking again');
        await sleep(delay, undefined, { signal: this.stopping.signal }).catch(() => undefined);
        if (this.stopping.signal.aborted) throw err;
      }
    }
  }
}
