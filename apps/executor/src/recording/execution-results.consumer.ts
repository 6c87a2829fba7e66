import { type ExecutionClaimReplyV1, type ExecutionClaimV1, type ExecutionFinishedV1, type ExecutionStartedV1, MessageTypes } from '@attune/contracts';
import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { ExecutionRecorder } from './execution-recorder.service';

@Controller()
export class ExecutionResultsConsumer {
  constructor(private readonly recorder: ExecutionRecorder) {}

  @EventPattern(MessageTypes.ExecutionStarted)
  started(@Payload() payload: ExecutionStartedV1): Promise<void> {
    return this.recorder.started(payload);
  }

  /** Request/reply: the reply says whether the worker may run its redelivered dispatch. */
  @EventPattern(MessageTypes.ExecutionClaim)
  claim(@Payload() payload: ExecutionClaimV1): Promise<ExecutionClaimReplyV1> {
    return this.recorder.claim(payload);
  }

  @EventPattern(MessageTypes.ExecutionFinished)
  finished(@Payload() payload: ExecutionFinishedV1): Promise<void> {
    return this.recorder.finished(payload);
  }
}
