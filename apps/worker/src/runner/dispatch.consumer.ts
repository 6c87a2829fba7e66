import { type ExecutionDispatchV1, MessageTypes } from '@attune/contracts';
import { AmqpContext } from '@attune/messaging';
import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { CancelListener } from './cancel-listener.service';
import { ExecutionRunner } from './execution-runner.service';

@Controller()
export class DispatchConsumer {
  constructor(
    private readonly runner: ExecutionRunner,
    private readonly cancels: CancelListener,
  ) {}

  @EventPattern<string>(MessageTypes.ExecutionDispatch)
  handle(@Payload() dispatch: ExecutionDispatchV1, @Ctx() ctx: AmqpContext): Promise<void> {
    return this.runner.handle(dispatch, {
      redelivered: ctx.redelivered,
      publishedAt: Date.parse(ctx.envelope.timestamp),
      listeningSince: this.cancels.listeningSince,
    });
  }
}
