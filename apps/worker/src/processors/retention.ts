import { Inject, Injectable, Logger, OnApplicationBootstrap, Optional } from '@nestjs/common';
import type { DataKeyStore, EventStore } from '@send/event-store';
import { RetentionJob } from '@send/scheduling';
import { APP_CONFIG, Clock, DATA_KEYS, EVENT_STORE, type AppConfig } from '@send/platform';

/** Retention (issue 14, ADR 0017): every night, erases the personal data of requests resolved longer ago than the policy keeps it. */
@Injectable()
export class Retention implements OnApplicationBootstrap {
  private readonly logger = new Logger(Retention.name);
  readonly job: RetentionJob | null;

  constructor(
    @Inject(EVENT_STORE) store: EventStore,
    @Inject(APP_CONFIG) config: AppConfig,
    clock: Clock,
    @Optional() @Inject(DATA_KEYS) dataKeys: DataKeyStore | null,
  ) {
    this.job = dataKeys
      ? new RetentionJob({
          store,
          dataKeys,
          policy: config.policy,
          clock: () => clock.now(),
          redisUrl: config.REDIS_URL,
          logger: this.logger,
        })
      : null;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.job) {
      this.logger.warn('no data key store (DATA_KEYS): the daily retention job is not scheduled');
      return;
    }
    await this.job.start();
    this.logger.log('retention scheduled daily');
  }

  /** Called by WorkerShutdown, in its order. */
  async stop(): Promise<void> {
    await this.job?.stop();
  }
}
