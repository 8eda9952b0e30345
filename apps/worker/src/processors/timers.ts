import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { EventStore } from '@send/event-store';
import { createScheduling, type Scheduling } from '@send/scheduling';
import { APP_CONFIG, Clock, EVENT_STORE, type AppConfig } from '@send/platform';

/**
 * SLA deadlines and escalation steps as BullMQ delayed jobs: the process manager keeps them in
 * step with events, the worker fires them as commands, the reconciler recreates lost ones.
 */
@Injectable()
export class Timers implements OnApplicationBootstrap {
  private readonly logger = new Logger(Timers.name);
  readonly scheduling: Scheduling;

  constructor(@Inject(EVENT_STORE) store: EventStore, @Inject(APP_CONFIG) config: AppConfig, clock: Clock) {
    this.scheduling = createScheduling({
      store,
      redisUrl: config.REDIS_URL,
      policy: config.policy,
      clock: () => clock.now(),
      logger: this.logger,
      reconcileEveryMs: config.TIMER_RECONCILE_EVERY,
      jobLockMs: config.JOB_LOCK_DURATION,
      keptStates: config.WORKER_KEPT_STATES,
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.scheduling.start();
    this.logger.log('timers started');
  }

  /** Called by WorkerShutdown, in its order. */
  async stop(): Promise<void> {
    await this.scheduling.stop();
  }
}
