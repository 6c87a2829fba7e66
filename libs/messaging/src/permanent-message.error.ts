import { RpcException } from '@nestjs/microservices';

/**
 * Thrown by a handler for a message that can never succeed (it refers to something that does not
 * exist, it contradicts the current state…): the message is dead-lettered at once, without retry.
 *
 * It extends Nest's RpcException (itself an Error) and answers itself from getError(), as Nest's
 * KafkaRetriableException does: Nest's default RPC exception filter passes an RpcException's
 * getError() on unchanged, so the transport still sees this class even where
 * AmqpExceptionFilter is not bound.
 */
export class PermanentMessageError extends RpcException {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message);
    this.name = 'PermanentMessageError';
    if (options && 'cause' in options) (this as { cause?: unknown }).cause = options.cause;
  }

  override getError(): this {
    return this;
  }
}
