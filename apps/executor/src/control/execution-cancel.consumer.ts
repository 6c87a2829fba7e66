import { type ExecutionCancelRequestedV1, MessageTypes } from '@attune/contracts';
import { messageConsumer } from '@attune/messaging';
import { ExecutionCanceller } from './execution-canceller.service';

/** POST /api/v1/executions/{id}/cancel, sent by the api as a request: the reply is the status the cancel left. */
export const ExecutionCancelConsumer = messageConsumer(
  'ExecutionCancelConsumer',
  MessageTypes.ExecutionCancelRequested,
  ExecutionCanceller,
  (canceller, payload: ExecutionCancelRequestedV1) => canceller.cancel(payload.execution_id),
);
