import { type EventCreatedV1, MessageTypes } from '@attune/contracts';
import { messageConsumer } from '@attune/messaging';
import { RuleEnforcer } from './rule-enforcer.service';

/** An event was recorded (a webhook, POST /events, a timer tick): match it against the rules. */
export const EventCreatedConsumer = messageConsumer(
  'EventCreatedConsumer',
  MessageTypes.EventCreated,
  RuleEnforcer,
  (enforcer, payload: EventCreatedV1) => enforcer.processEvent(payload.event_id),
);
