import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type Redis from 'ioredis';
import type { EventStore } from '@send/event-store';
import { ProjectionsRunner } from '@send/read-models';
import { EVENT_STORE, REDIS } from '@send/platform';

/**
 * The durable subscription that feeds every Redis read model. One worker holds the projections
 * lease and projects; others stand by. Each event's changes and the checkpoint go in one MULTI.
 */
@Injectable()
export class ProjectionsSubscription implements OnApplicationBootstrap {
  private readonly logger = new Logger(ProjectionsSubscription.name);
  private readonly runner: ProjectionsRunner;

  constructor(@Inject(EVENT_STORE) store: EventStore, @Inject(REDIS) redis: Redis) {
    this.runner = new ProjectionsRunner({ store, redis, logger: this.logger });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.runner.start();
    this.logger.log('projections runner started');
  }

  /** Called by WorkerShutdown once nothing in this worker appends: projects what is stored (up to 5 s), then stops. */
  async stop(): Promise<void> {
    await this.runner.stop({ drainMs: 5000 });
  }
}
