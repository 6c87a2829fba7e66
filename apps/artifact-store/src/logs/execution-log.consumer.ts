import { type ExecutionLogV1, MessageTypes } from '@attune/contracts';
import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { LogRecorder } from './log-recorder.service';

@Controller()
export class ExecutionLogConsumer {
  constructor(private readonly recorder: LogRecorder) {}

  @EventPattern(MessageTypes.ExecutionLog)
  handle(@Payload() chunk: ExecutionLogV1): Promise<void> {
    return this.recorder.record(chunk);
  }
}
