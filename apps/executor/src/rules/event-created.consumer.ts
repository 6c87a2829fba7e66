import { type EventCreatedV1, MessageTypes } from '@attune/contracts';
import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { RuleEnforcer } from './rule-enforcer.service';

@Controller()
export class EventCreatedConsumer {
  constructor(private readonly enforcer: RuleEnforcer) {}

  @EventPattern<string>(MessageTypes.EventCreated)
  async handle(@Payload() payload: EventCreatedV1): Promise<void> {
    await this.enforcer.processEvent(payload.event_id);
  }
}
