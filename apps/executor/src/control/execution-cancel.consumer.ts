import { type ExecutionCancelRequestedV1, MessageTypes } from '@attune/contracts';
import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { ExecutionCanceller } from './execution-canceller.service';

@Controller()
export class ExecutionCancelConsumer {
  constructor(private readonly canceller: ExecutionCanceller) {}

  @EventPattern(MessageTypes.ExecutionCancelRequested)
  handle(@Payload() payload: ExecutionCancelRequestedV1): Promise<void> {
    return this.canceller.cancel(payload.execution_id);
  }
}
