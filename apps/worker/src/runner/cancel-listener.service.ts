import { type ExecutionCancelV1, MessageTypes } from '@attune/contracts';
import { BroadcastSubscriber } from '@attune/messaging';
import { type Logger, ROOT_LOGGER } from '@attune/service-kit';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { WorkerConfig } from '../config/worker.config';
import { ExecutionRunner } from './execution-runner.service';

/** Every worker hears every cancel; the one running the execution stops it. */
@Injectable()
export class CancelListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private subscriber?: BroadcastSubscriber;

  constructor(
    private readonly config: WorkerConfig,
    private readonly runner: ExecutionRunner,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.subscriber = new BroadcastSubscriber(
      { url: this.config.amqpUrl, namespace: this.config.amqpNamespace, service: 'worker', types: [MessageTypes.ExecutionCancel], logger: this.logger },
      (_type, payload) => this.runner.cancel((payload as ExecutionCancelV1).execution_id),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscriber?.close();
  }
}
