import { type ExecutionFinishedV1, type ExecutionStartedV1, MessageTypes } from '@attune/contracts';
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

  @EventPattern(MessageTypes.ExecutionFinished)
  finished(@Payload() payload: ExecutionFinishedV1): Promise<void> {
    return this.recorder.finished(payload);
  }
}
