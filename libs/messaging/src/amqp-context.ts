import type { MessageEnvelope } from '@attune/contracts';
import { BaseRpcContext } from '@nestjs/microservices';
import type { ConsumeMessage } from 'amqplib';

type AmqpContextArgs = [MessageEnvelope<object>, ConsumeMessage, number];

/**
 * What `@Ctx()` gives a handler. `envelope.payload` is the validated payload instance (the same
 * object `@Payload()` gives). Acking is the transport's job: handlers never touch the channel.
 */
export class AmqpContext extends BaseRpcContext<AmqpContextArgs> {
  readonly envelope: MessageEnvelope<object>;
  /** 1 for the first delivery, n for the n-th attempt after n-1 failures. */
  readonly attempt: number;
  /** The raw delivery (fields and properties), e.g. for `fields.routingKey` or `fields.redelivered`. */
  readonly message: ConsumeMessage;

  constructor(envelope: MessageEnvelope<object>, message: ConsumeMessage, attempt: number) {
    super([envelope, message, attempt]);
    this.envelope = envelope;
    this.message = message;
    this.attempt = attempt;
  }

  get messageId(): string {
    return this.envelope.message_id;
  }

  /** Pass it on as `correlationId` to everything published because of this message. */
  get correlationId(): string {
    return this.envelope.correlation_id;
  }

  get type(): string {
    return this.envelope.type;
  }

  get routingKey(): string {
    return this.message.fields.routingKey;
  }

  /** True when the broker delivered this message before (to a consumer that did not ack it). */
  get redelivered(): boolean {
    return this.message.fields.redelivered;
  }
}
