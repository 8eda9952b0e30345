import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Queue } from 'bullmq';
import type Redis from 'ioredis';
import { Counter, Gauge } from 'prom-client';
import type { EventStore } from '@send/event-store';
import { NOTIFICATIONS_QUEUE } from '@send/notifications';
import { APP_CONFIG, AppMetrics, Clock, EVENT_STORE, REDIS, type AppConfig } from '@send/platform';
import { AlertsRepository } from '@send/read-models';
import { TIMER_QUEUE_NAME } from '@send/scheduling';
import { projectionLag, type ProjectionLag } from './projection-lag';

/**
 * What the system holds, measured when Prometheus scrapes, from the shared stores (event store,
 * Redis read models, BullMQ queues): every api replica reports the same truth, whichever process
 * (api or worker) made it so. A value that cannot be read reports NaN rather than a false 0.
 */
@Injectable()
export class StateMetrics implements OnModuleDestroy {
  private readonly logger = new Logger(StateMetrics.name);
  /** Made on the first scrape: an api that is never scraped never touches the queues. */
  private queues: { timers: Queue; notifications: Queue } | null = null;
  private readonly alerts: AlertsRepository;
  /** One lag reading in flight serves both lag gauges of a scrape (they are collected together). */
  private lag: Promise<ProjectionLag | null> | null = null;

  constructor(
    metrics: AppMetrics,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.alerts = new AlertsRepository(redis);
    const registers = [metrics.registry];
    const self = this;

    new Gauge({
      name: 'send_projection_lag_events',
      help: 'Request and user events stored but not yet projected into the Redis read models (reads at most 10000)',
      registers,
      async collect() {
        this.set((await self.lagReading())?.events ?? NaN);
      },
    });
    new Gauge({
      name: 'send_projection_lag_seconds',
      help: 'Age of the oldest event not yet projected into the read models (now minus its recordedAt); 0 when caught up',
      registers,
      async collect() {
        this.set((await self.lagReading())?.seconds ?? NaN);
      },
    });
    new Gauge({
      name: 'send_timers_open',
      help: 'SLA deadline and escalation timers waiting to fall due (delayed jobs of the timers queue)',
      registers,
      async collect() {
        this.set(await self.read('timers', () => self.queue('timers').getDelayedCount()));
      },
    });
    new Gauge({
      name: 'send_notifications_failed',
      help: 'Alert deliveries that failed for good (failed jobs kept in the notifications queue)',
      registers,
      async collect() {
        this.set(await self.read('notifications', () => self.queue('notifications').getFailedCount()));
      },
    });
    const levels = config.policy.escalation.chain.length;
    new Counter({
      name: 'send_alerts_raised_total',
      help: 'Escalation alerts raised at each level (raised at it or advanced to it), from the alerts read model',
      labelNames: ['level'],
      registers,
      async collect() {
        this.reset();
        try {
          (await self.alerts.raisedByLevel(levels)).forEach((count, i) => this.inc({ level: String(i + 1) }, count));
        } catch (error) {
          self.logger.warn(`alerts raised: ${(error as Error).message}`);
        }
      },
    });
    new Gauge({
      name: 'send_alerts_open',
      help: 'Unresolved escalation alerts by current level and status (open or acknowledged), from the alerts read model',
      labelNames: ['level', 'status'],
      registers,
      async collect() {
        this.reset();
        try {
          for (const alert of await self.alerts.open()) this.inc({ level: String(alert.level), status: alert.status });
        } catch (error) {
          self.logger.warn(`alerts: ${(error as Error).message}`);
        }
      },
    });
  }

  async onModuleDestroy(): Promise<void> {
    if (this.queues) await Promise.all([this.queues.timers.close(), this.queues.notifications.close()]);
  }

  private queue(name: 'timers' | 'notifications'): Queue {
    // Counting jobs only: the shared connection is enough (BullMQ leaves a passed-in connection open).
    this.queues ??= {
      timers: new Queue(TIMER_QUEUE_NAME, { connection: this.redis }),
      notifications: new Queue(NOTIFICATIONS_QUEUE, { connection: this.redis }),
    };
    return this.queues[name];
  }

  private lagReading(): Promise<ProjectionLag | null> {
    this.lag ??= projectionLag(this.store, this.redis, this.clock.now())
      .catch((error: Error) => {
        this.logger.warn(`projection lag: ${error.message}`);
        return null;
      })
      .finally(() => setImmediate(() => (this.lag = null)));
    return this.lag;
  }

  private async read(what: string, count: () => Promise<number>): Promise<number> {
    try {
      return await count();
    } catch (error) {
      this.logger.warn(`${what}: ${(error as Error).message}`);
      return NaN;
    }
  }
}
