import { Controller, Inject, type Type } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';

/**
 * A consumer of one message type that hands the payload (validated against its class by
 * AmqpServer) to one method of a service: all that most consumers are, without a class each.
 * What `handle` answers is the reply when the message is a request; for an event it is ignored.
 * Register the result under `controllers`; `name` names it in Nest's logs.
 */
export function messageConsumer<S, P>(name: string, type: string, service: Type<S>, handle: (service: S, payload: P) => Promise<unknown>): Type<unknown> {
  @Controller()
  class Consumer {
    constructor(@Inject(service) private readonly target: S) {}

    @EventPattern<string>(type)
    consume(@Payload() payload: P): Promise<unknown> {
      return handle(this.target, payload);
    }
  }
  Object.defineProperty(Consumer, 'name', { value: name });
  return Consumer;
}
