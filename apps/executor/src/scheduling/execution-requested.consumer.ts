import { type ExecutionRequestedV1, MessageTypes } from '@attune/contracts';
import { messageConsumer } from '@attune/messaging';
import { ExecutionScheduler } from './execution-scheduler.service';

/** The api inserted an execution: schedule it. */
export const ExecutionRequestedConsumer = messageConsumer(
  'ExecutionRequestedConsumer',
  MessageTypes.ExecutionRequested,
  ExecutionScheduler,
  (scheduler, payload: ExecutionRequestedV1) => scheduler.schedule(payload.execution_id),
);
