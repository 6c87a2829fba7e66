import { Catch, type RpcExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';

/**
 * Hands a handler's error to AmqpServer unchanged.
 *
 * Nest's default RPC exception filter replaces every error that is not an RpcException with
 * `{status: 'error', message: 'Internal server error'}`, so the transport could no longer tell a
 * DomainError NOT_FOUND (dead-letter now) from a timeout (retry). MessagingModule binds this
 * filter to every `@EventPattern` handler when an AmqpServer is attached to the app (see
 * AmqpServerRegistry); without MessagingModule, bind it yourself with
 * `@UseFilters(new AmqpExceptionFilter())` on the consumer.
 */
@Catch()
export class AmqpExceptionFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}
