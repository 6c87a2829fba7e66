import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import type { Subscription } from 'rxjs';
import { AmqpServer } from './amqp-server';
import { bindExceptionFilter } from './exception-filter-binding';

/**
 * Provided by MessagingModule. Watches the app's RPC targets: when an AmqpServer is attached
 * (connectMicroservice / createNestMicroservice), it binds AmqpExceptionFilter to the
 * `@EventPattern` handlers and remembers the server so the health check covers its consumer.
 */
@Injectable()
export class AmqpServerRegistry implements OnModuleDestroy {
  private readonly servers = new Set<AmqpServer>();
  private readonly subscription: Subscription;

  constructor(modules: ModulesContainer) {
    // The registry replays, and an AmqpServer is added to it before Nest registers its handlers.
    this.subscription = modules.getRpcTargetRegistry().subscribe((target: unknown) => {
      if (target instanceof AmqpServer) {
        bindExceptionFilter(modules, target);
        this.servers.add(target);
      }
    });
  }

  list(): AmqpServer[] {
    return [...this.servers];
  }

  onModuleDestroy(): void {
    this.subscription.unsubscribe();
  }
}
