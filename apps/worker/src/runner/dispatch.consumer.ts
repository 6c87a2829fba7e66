import { type ExecutionDispatchV1, MessageTypes } from '@attune/contracts';
import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { ExecutionRunner } from './execution-runner.service';

@Controller()
export class DispatchConsumer {
  constructor(private readonly runner: ExecutionRunner) {}

  @EventPattern<string>(MessageTypes.ExecutionDispatch)
  handle(@Payload() dispatch: ExecutionDispatchV1): Promise<void> {
    return this.runner.handle(dispatch);
  }
}
