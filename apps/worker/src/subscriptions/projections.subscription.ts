import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import { RedisCheckpointStore, SubscriptionRunner, type EventStore } from '@send/event-store';
import { Projector, RequestViewProjection } from '@send/read-models';
import { EVENT_STORE, REDIS } from '@send/platform';

/**
 * The durable subscription that feeds the Redis read models. The projector writes each event's
 * changes and the checkpoint in one MULTI, so the runner only reads the checkpoint at start.
 */
@Injectable()
export class ProjectionsSubscription implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ProjectionsSubscription.name);
  private runner?: SubscriptionRunner;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  onApplicationBootstrap(): void {
    const projector = new Projector('projections', this.redis, [new RequestViewProjection()]);
    this.runner = new SubscriptionRunner({
      store: this.store,
      checkpoints: new RedisCheckpointStore(this.redis),
      name: projector.name,
      filter: { streamPrefixes: ['contact-request-'] },
      handle: (event) => projector.handle(event),
      checkpointMode: 'handler-owned',
      logger: this.logger,
    });
    this.runner.start();
    this.logger.log('projections subscription started');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runner?.stop();
  }
}
