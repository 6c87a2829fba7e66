import { type ExecutionRequestedV1, MessageTypes } from '@attune/contracts';
import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { ExecutionScheduler } from './execution-scheduler.service';

@Controller()
export class ExecutionRequestedConsumer {
  constructor(private readonly scheduler: ExecutionScheduler) {}

  @EventPattern(MessageTypes.ExecutionRequested)
  handle(@Payload() payload: ExecutionRequestedV1): Promise<void> {
    return this.scheduler.schedule(payload.execution_id);
  }
}
