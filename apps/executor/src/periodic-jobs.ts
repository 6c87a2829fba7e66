import { type Logger, PeriodicJobList, ROOT_LOGGER } from '@attune/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { ExecutorConfig } from './config/executor.config';
import { WorkerLossSweeper } from './control/worker-loss-sweeper.service';
import { InquiryService } from './inquiries/inquiry.service';
import { RunRetention } from './retention/run-retention.service';
import { RuleEnforcer } from './rules/rule-enforcer.service';
import { TimerScheduler } from './rules/timer-scheduler.service';
import { ExecutionScheduler } from './scheduling/execution-scheduler.service';
import { WorkflowSweeper } from './workflows/workflow-sweeper.service';

/**
 * Everything the executor does on a timer rather than on a message, each paced by its own
 * setting. Each job runs one pass at a time, logs a failed pass and tries again at the next
 * tick, and shutdown waits for a pass in progress (PeriodicJob). Every pass is safe to run on
 * several executors at once.
 */
@Injectable()
export class PeriodicJobs extends PeriodicJobList {
  constructor(
    config: ExecutorConfig,
    @Inject(ROOT_LOGGER) logger: Logger,
    scheduler: ExecutionScheduler,
    workerLoss: WorkerLossSweeper,
    rules: RuleEnforcer,
    timers: TimerScheduler,
    workflows: WorkflowSweeper,
    inquiries: InquiryService,
    retention: RunRetention,
  ) {
    super(logger, [
      // Executions no message brought here (requested or scheduling for ATTUNE_EXECUTOR_STALE_AFTER_MS).
      { name: 'execution sweep', everyMs: config.sweepIntervalMs, run: () => scheduler.scheduleStale() },
      // Workers silent for ATTUNE_EXECUTOR_WORKER_LOST_AFTER_MS → stale; their executions by policy.
      { name: 'worker-loss sweep', everyMs: config.sweepIntervalMs, run: () => workerLoss.sweep() },
      // Events no event.created brought here.
      { name: 'event sweep', everyMs: config.sweepIntervalMs, run: () => rules.processMissed() },
      { name: 'timer poll', everyMs: config.timerPollMs, run: () => timers.poll() },
      // Workflow timeouts, delayed retries, children that ended unnoticed.
      { name: 'workflow sweep', everyMs: config.workflowSweepIntervalMs, run: () => workflows.sweep() },
      { name: 'inquiry timeouts', everyMs: config.inquiryPollMs, run: () => inquiries.settle() },
      { name: 'run retention sweep', everyMs: config.retentionIntervalMs, run: () => retention.sweep() },
    ]);
  }
}
