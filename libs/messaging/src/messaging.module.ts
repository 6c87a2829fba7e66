import { Module, type DynamicModule } from '@nestjs/common';
import { AmqpConnection } from './amqp-connection';
import { AmqpHealthIndicator } from './amqp-health-indicator';
import { AmqpServerRegistry } from './amqp-server-registry';
import { MessagePublisher } from './message-publisher';
import { MESSAGING_OPTIONS, type MessagingOptions } from './messaging.options';

/**
 * The publishing side of a service, global: inject MessagePublisher anywhere, and list
 * AmqpHealthIndicator in HealthModule.forRoot. Consuming is AmqpServer's job (connectMicroservice).
 */
@Module({})
export class MessagingModule {
  static forRoot(options: MessagingOptions): DynamicModule {
    return {
      module: MessagingModule,
      global: true,
      providers: [
        { provide: MESSAGING_OPTIONS, useValue: options },
        {
          provide: AmqpConnection,
          useFactory: (o: MessagingOptions) => AmqpConnection.create({ url: o.url, service: o.service, role: 'publisher', logger: o.logger }),
          inject: [MESSAGING_OPTIONS],
        },
        {
          provide: MessagePublisher,
          useFactory: (c: AmqpConnection, o: MessagingOptions) => new MessagePublisher(c, o),
          inject: [AmqpConnection, MESSAGING_OPTIONS],
        },
        AmqpServerRegistry,
        {
          provide: AmqpHealthIndicator,
          useFactory: (c: AmqpConnection, r: AmqpServerRegistry) => new AmqpHealthIndicator(c, r),
          inject: [AmqpConnection, AmqpServerRegistry],
        },
      ],
      exports: [AmqpConnection, MessagePublisher, AmqpHealthIndicator],
    };
  }
}
