import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type Redis from 'ioredis';
import type { EventStore } from '@send/event-store';
import {
  createNotifications,
  notificationsConfigFrom,
  type Notifications as NotificationsLib,
  type NotificationsEnv,
} from '@send/notifications';
import { APP_CONFIG, Clock, EVENT_STORE, REDIS, type AppConfig } from '@send/platform';

/** Escalations and breaches become one delivery job per recipient and channel, with retries. */
@Injectable()
export class Notifications implements OnApplicationBootstrap {
  private readonly logger = new Logger(Notifications.name);
  readonly notifications: NotificationsLib;

  constructor(
    @Inject(EVENT_STORE) store: EventStore,
    @Inject(REDIS) redis: Redis,
    @Inject(APP_CONFIG) config: AppConfig & Partial<NotificationsEnv>,
    clock: Clock,
  ) {
    this.notifications = createNotifications({
      store,
      redis,
      config: notificationsConfigFrom(config),
      clock,
      logger: this.logger,
      policy: config.policy,
      jobLockMs: config.JOB_LOCK_DURATION,
      keptStates: config.WORKER_KEPT_STATES,
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.notifications.start();
    this.logger.log(
      `notifications started (channels: ${this.notifications.channels.map((c) => c.name).join(', ')}; families told: ${this.notifications.family ? 'yes' : 'no'})`,
    );
  }

  /** Called by WorkerShutdown, in its order. */
  async stop(): Promise<void> {
    await this.notifications.stop();
  }
}
