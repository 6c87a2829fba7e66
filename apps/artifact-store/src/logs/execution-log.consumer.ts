import { type ExecutionLogCommittedV1, type ExecutionLogCommitV1, type ExecutionLogV1, MessageTypes } from '@attune/contracts';
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

  /** Request/reply from the api: a worker uploaded a whole log. */
  @EventPattern<string>(MessageTypes.ExecutionLogCommit)
  commit(@Payload() cmd: ExecutionLogCommitV1): Promise<ExecutionLogCommittedV1> {
    return this.recorder.commit(cmd);
  }
}
